import { httpText } from '../helpers/upstream.ts';
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstanceManager, type ManagedInstance, type ManageOptions } from '../../src/runtime/instance-manager.ts';
import { LocalProvider } from '../../src/runtime/local/local-provider.ts';
import { readStat } from '../../src/runtime/local/proc.ts';
import type { InstanceSpec, Probe } from '../../src/runtime/provider.ts';
import { serverCommand } from '../helpers/apps/paths.ts';
import { waitFor } from '../helpers/wait.ts';

const readiness: Probe = { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 2, successThreshold: 1 };
const fastRestart = { initialDelayMs: 50, maxDelayMs: 400 };
const WAIT = 15_000;

/** The process group of the process that answered (the app runs under `sh -c`, which leads the group). */
function servingGroup(pid: string): number | undefined {
  return readStat(Number(pid))?.pgrp;
}

function appSpec(env: Record<string, string> = {}): InstanceSpec {
  return { service: 'web', revision: 1, version: 'v1', command: serverCommand(), cwd: tmpdir(), env };
}

describe('InstanceManager', () => {
  const open: Array<{ m: InstanceManager; dir?: string }> = [];
  function manager(dir = mkdtempSync(join(tmpdir(), 'cutover-im-'))): { m: InstanceManager; dir: string; states: string[] } {
    const m = new InstanceManager({ provider: new LocalProvider({ stateDir: dir, adoptPollMs: 50 }), restart: fastRestart, startingProbeIntervalMs: 50 });
    const states: string[] = [];
    m.on('change', (i) => states.push(i.state));
    open.push({ m, dir });
    return { m, dir, states };
  }
  afterEach(async () => {
    for (const { m, dir } of open.splice(0).reverse()) {
      await Promise.all(m.list().map((i) => m.stop(i.id, { signal: 'SIGKILL', killAfterMs: 1000 }).catch(() => {})));
      await m.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
  const isReady = (i: ManagedInstance) => i.state === 'ready';

  test('a slow-starting instance becomes ready only once it serves; a never-ready one stays starting', async () => {
    const { m, states } = manager();
    const slow = await m.start(appSpec({ APP_START_DELAY_MS: '600' }), { readiness });
    const never = await m.start(appSpec({ APP_NEVER_READY: '1' }), { readiness });
    assert.equal(slow.state, 'starting');
    assert.equal(slow.ready, false);
    const ready = await m.waitFor(slow.id, isReady, WAIT);
    assert.equal(ready.ready, true);
    assert.equal(await httpText(ready.record.port), 'v1');
    assert.equal(await m.waitFor(never.id, (i) => i.state === 'starting', WAIT).then((i) => i.ready), false);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${never.record.port}/healthz`)).status === 503, 'never-ready app listening');
    assert.equal(m.get(never.id)?.state, 'starting', 'answering 503 is not ready');
    assert.deepEqual(states.filter((s) => s !== 'starting'), ['ready']);
  });

  test('readiness can be lost and regained without a restart', async () => {
    const { m } = manager();
    const inst = await m.start(appSpec(), { readiness });
    await m.waitFor(inst.id, isReady, WAIT);
    await httpText(inst.record.port, '/sick');
    const unready = await m.waitFor(inst.id, (i) => i.state === 'unready', WAIT);
    assert.equal(unready.ready, false);
    await httpText(inst.record.port, '/well');
    const back = await m.waitFor(inst.id, isReady, WAIT);
    assert.equal(back.record.pid, inst.record.pid);
    assert.equal(back.restarts, 0);
  });

  test('a crash restarts the instance in place: same id, new pid and port, output appended to the same log', async () => {
    const { m, states } = manager();
    const ports: number[] = [];
    m.on('change', (i) => ports.push(i.record.port));
    const inst = await m.start(appSpec(), { readiness });
    await m.waitFor(inst.id, isReady, WAIT);
    await fetch(`http://127.0.0.1:${inst.record.port}/crash`).catch(() => {});
    const again = await m.waitFor(inst.id, (i) => i.restarts === 1 && isReady(i), WAIT);
    assert.equal(again.id, inst.id);
    assert.notEqual(again.record.pid, inst.record.pid);
    assert.notEqual(again.record.port, inst.record.port);
    assert.ok(ports.includes(again.record.port), 'a change event announced the new port');
    assert.equal(again.record.restarts, 1);
    assert.equal(again.lastExit?.code, 1);
    assert.equal(again.lastFailure?.reason, 'exit');
    assert.equal(again.crashLoop, false);
    assert.equal(servingGroup(await httpText(again.record.port, '/pid')), again.record.pgid, 'the new process group serves');
    assert.equal(m.provider.isAlive(inst.record), false);
    assert.ok(states.includes('restarting'));
    const log = readFileSync(again.record.logFile, 'utf8');
    assert.equal(again.record.logFile, inst.record.logFile);
    assert.equal(log.match(/\[cutover\] .* starting /g)?.length, 2, 'one header per start');
    assert.match(log, /crashing on request \(v1\)/);
  });

  test('failed liveness probes restart the instance and stop the old process', async () => {
    const { m } = manager();
    const opts: ManageOptions = {
      readiness: { ...readiness, path: '/' },
      liveness: { ...readiness, failureThreshold: 2 },
      stop: { signal: 'SIGTERM', killAfterMs: 2000 },
      drain: async (i) => {
        drained.push(`${i.state}:${m.provider.isAlive(i.record)}`);
      },
    };
    const drained: string[] = [];
    const inst = await m.start(appSpec(), opts);
    await m.waitFor(inst.id, isReady, WAIT);
    await httpText(inst.record.port, '/sick');
    const again = await m.waitFor(inst.id, (i) => i.restarts === 1 && isReady(i), WAIT);
    assert.equal(again.lastFailure?.reason, 'liveness');
    assert.notEqual(again.record.pid, inst.record.pid);
    assert.equal(m.provider.isAlive(inst.record), false, 'the unhealthy process was stopped');
    assert.equal(again.lastExit, undefined, 'we stopped it; it did not exit on its own');
    assert.deepEqual(drained, ['restarting:true'], 'drained once, out of service and still running');
  });

  test('a crash loop marks the instance failed and stops restarting it', async () => {
    const { m } = manager();
    const inst = await m.start(appSpec({ APP_CRASH_AFTER_MS: '150' }), { readiness, restart: { crashLoopAfter: 2 } });
    const failed = await m.waitFor(inst.id, (i) => i.state === 'failed', WAIT);
    assert.equal(failed.crashLoop, true);
    assert.equal(failed.restarts, 2);
    assert.equal(failed.ready, false);
    assert.equal(m.provider.isAlive(failed.record), false);
    await new Promise((r) => setTimeout(r, 500)); // several backoff periods: nothing may restart it
    assert.equal(m.get(inst.id)?.restarts, 2);
    await m.stop(inst.id, { signal: 'SIGTERM', killAfterMs: 1000 });
    assert.equal(m.get(inst.id), undefined);
  });

  test('a restart that cannot spawn counts as a failure and ends in a crash loop', async () => {
    const { m } = manager();
    const cwd = mkdtempSync(join(tmpdir(), 'cutover-cwd-'));
    const inst = await m.start({ ...appSpec(), cwd }, { readiness, restart: { crashLoopAfter: 2 } });
    await m.waitFor(inst.id, isReady, WAIT);
    rmSync(cwd, { recursive: true, force: true });
    await fetch(`http://127.0.0.1:${inst.record.port}/crash`).catch(() => {});
    const failed = await m.waitFor(inst.id, (i) => i.state === 'failed', WAIT);
    assert.equal(failed.crashLoop, true);
    assert.equal(failed.restarts, 0, 'no restart ever succeeded');
    assert.equal(failed.lastFailure?.reason, 'start');
    assert.match(failed.lastFailure?.message ?? '', /working directory/);
    assert.equal(failed.lastExit?.code, 1);
  });

  test('stop during a restart backoff starts nothing new', async () => {
    const { m, states } = manager();
    const inst = await m.start(appSpec(), { readiness, restart: { initialDelayMs: 5000 } });
    await m.waitFor(inst.id, isReady, WAIT);
    await fetch(`http://127.0.0.1:${inst.record.port}/crash`).catch(() => {});
    await m.waitFor(inst.id, (i) => i.state === 'restarting', WAIT);
    await m.stop(inst.id, { signal: 'SIGTERM', killAfterMs: 1000 });
    assert.deepEqual(states.slice(-2), ['stopping', 'stopped']);
    assert.deepEqual(m.list(), []);
  });

  test('after close, a new manager adopts the same process still serving, and restarts it from its spec', async () => {
    const first = manager();
    const inst = await first.m.start(appSpec(), { readiness });
    const ready = await first.m.waitFor(inst.id, isReady, WAIT);
    await first.m.close();
    const second = manager(first.dir);
    assert.equal(second.m.adopt({ ...ready.record, pid: 999_999_0, procStart: '1' }, { readiness }), null, 'a gone process is not adopted');
    const adopted = second.m.adopt(ready.record, { readiness, spec: appSpec() });
    assert.ok(adopted);
    const back = await second.m.waitFor(inst.id, isReady, WAIT);
    assert.equal(back.record.pid, inst.record.pid);
    assert.equal(servingGroup(await httpText(back.record.port, '/pid')), inst.record.pgid, 'the original process group still serves');
    await fetch(`http://127.0.0.1:${back.record.port}/crash`).catch(() => {});
    const restarted = await second.m.waitFor(inst.id, (i) => i.restarts === 1 && isReady(i), WAIT);
    assert.notEqual(restarted.record.pid, inst.record.pid);
    assert.deepEqual(second.m.list({ service: 'web', revision: 1 }).map((i) => i.id), [inst.id]);
    assert.deepEqual(second.m.list({ revision: 2 }), []);
  });

  test('adopted with lastKnownReady it is ready at once, without a first probe, and failing probes still take that back', async () => {
    const first = manager();
    const inst = await first.m.start(appSpec(), { readiness });
    await first.m.waitFor(inst.id, isReady, WAIT);
    await first.m.close();
    const second = manager(first.dir);
    const adopted = second.m.adopt(inst.record, { readiness, spec: appSpec(), lastKnownReady: true });
    assert.equal(adopted?.state, 'ready');
    assert.equal(adopted?.ready, true);
    await httpText(inst.record.port, '/sick');
    const unready = await second.m.waitFor(inst.id, (i) => i.state === 'unready', WAIT);
    assert.equal(unready.record.pid, inst.record.pid);
    await httpText(inst.record.port, '/well');
    await second.m.waitFor(inst.id, isReady, WAIT);
    assert.deepEqual(second.states, ['ready', 'unready', 'ready'], 'never "starting"');
  });
});
