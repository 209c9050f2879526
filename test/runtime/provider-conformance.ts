/**
 * The behaviour every RuntimeProvider must have, as node:test tests. An
 * implementation's test file calls `providerConformance` with a factory.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceRecord, InstanceSpec, Probe, RuntimeProvider } from '../../src/runtime/provider.ts';
import { waitFor } from '../helpers/wait.ts';

export interface ConformanceHarness {
  provider: RuntimeProvider;
  /** A spec running test/helpers/apps/server.mjs with these extra env options. */
  appSpec(env?: Record<string, string>): InstanceSpec;
  /** A second provider over the same state, as a restarted controller would create. */
  reopen(): RuntimeProvider;
  cleanup(): Promise<void>;
}

const ready: Probe = { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 3, successThreshold: 1 };
const tcp: Probe = { ...ready, path: undefined };

export function providerConformance(name: string, factory: () => Promise<ConformanceHarness>): void {
  describe(`RuntimeProvider conformance: ${name}`, () => {
    let h: ConformanceHarness;
    const started: Array<{ p: RuntimeProvider; r: InstanceRecord }> = [];

    async function start(env: Record<string, string> = {}, p: RuntimeProvider = h.provider): Promise<InstanceRecord> {
      const r = await p.start(h.appSpec(env));
      started.push({ p, r });
      return r;
    }
    const probeReady = (p: RuntimeProvider, r: InstanceRecord, pr = ready) => waitFor(() => p.probe(r, pr), `${r.id} ready`);

    afterEach(async () => {
      for (const { p, r } of started.splice(0)) await p.stop(r, { signal: 'SIGKILL', killAfterMs: 1000 }).catch(() => {});
      await h?.cleanup();
    });

    test('start, probe ready, stop with the signal, and the instance is gone', async () => {
      h = await factory();
      const r = await start();
      assert.ok(r.port > 0 && r.pid > 0);
      assert.equal(r.restarts, 0);
      await probeReady(h.provider, r);
      assert.equal(h.provider.isAlive(r), true);
      await h.provider.stop(r, { signal: 'SIGTERM', killAfterMs: 5000 });
      assert.equal(h.provider.isAlive(r), false);
      assert.equal(await h.provider.probe(r, tcp), false, 'nothing listens on the port after stop');
    });

    test('onExit fires when an instance crashes, not when it is stopped', async () => {
      h = await factory();
      const exits: Array<{ id: string; code: number | null }> = [];
      h.provider.onExit((rec, code) => exits.push({ id: rec.id, code }));
      const crashing = await start({ APP_CRASH_AFTER_MS: '300' });
      const stopped = await start();
      await probeReady(h.provider, stopped);
      await h.provider.stop(stopped, { signal: 'SIGTERM', killAfterMs: 5000 });
      await waitFor(() => exits.length > 0, 'exit reported');
      assert.deepEqual(exits, [{ id: crashing.id, code: 1 }]);
      assert.equal(h.provider.isAlive(crashing), false);
    });

    test('after detach, a new provider adopts the same running process and sees it exit', async () => {
      h = await factory();
      const r = await start();
      await probeReady(h.provider, r);
      await h.provider.detach();
      assert.equal(h.provider.isAlive(r), true, 'detach leaves the instance running');
      const again = h.reopen();
      const exits: string[] = [];
      again.onExit((rec) => exits.push(rec.id));
      assert.equal(again.adopt(r), true);
      started.push({ p: again, r });
      assert.equal(await again.probe(r, ready), true);
      await fetch(`http://${r.host}:${r.port}/crash`).catch(() => {});
      await waitFor(() => exits.length > 0, 'adopted exit reported');
      assert.deepEqual(exits, [r.id]);
      await again.detach();
    });

    test('adopt refuses an instance whose process is gone', async () => {
      h = await factory();
      const r = await start();
      await h.provider.stop(r, { signal: 'SIGTERM', killAfterMs: 5000 });
      assert.equal(h.reopen().adopt(r), false);
    });

    test('SIGKILL follows killAfter when the app ignores the signal', async () => {
      h = await factory();
      const r = await start({ APP_IGNORE_SIGTERM: '1' });
      await probeReady(h.provider, r);
      await h.provider.stop(r, { signal: 'SIGTERM', killAfterMs: 300 });
      assert.equal(h.provider.isAlive(r), false);
    });

    test('without a path, readiness is a TCP connect', async () => {
      h = await factory();
      const r = await start({ APP_NEVER_READY: '1', APP_START_DELAY_MS: '300' });
      assert.equal(await h.provider.probe(r, tcp), false, 'nothing listens yet');
      await probeReady(h.provider, r, tcp);
      assert.equal(await h.provider.probe(r, ready), false, 'the HTTP path still answers 503');
    });
  });
}
