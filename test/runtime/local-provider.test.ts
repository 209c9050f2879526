import { httpText } from '../helpers/upstream.ts';
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalProvider } from '../../src/runtime/local/local-provider.ts';
import type { InstanceRecord, InstanceSpec } from '../../src/runtime/provider.ts';
import { serverCommand } from '../helpers/apps/paths.ts';
import { defaultPortRange, freePort } from '../../src/runtime/local/ports.ts';
import { instanceLogFile, shellCommand, unusedInstanceId } from '../../src/runtime/local/spawn-instance.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { providerConformance } from './provider-conformance.ts';
import { waitFor } from '../helpers/wait.ts';

/** The numbers of the "line N" lines of a log. */
function numbered(log: string): number[] {
  return [...log.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
}

function appSpec(env: Record<string, string> = {}): InstanceSpec {
  return { service: 'web', revision: 2, version: 'v2', command: serverCommand(), cwd: tmpdir(), env };
}

providerConformance('local', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
  const provider = new LocalProvider({ stateDir, adoptPollMs: 50 });
  return {
    provider,
    appSpec,
    reopen: () => new LocalProvider({ stateDir, adoptPollMs: 50 }),
    cleanup: async () => {
      await provider.detach();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});

describe('LocalProvider', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
  const provider = new LocalProvider({ stateDir });
  const stopAll: Array<() => Promise<void>> = [];
  after(async () => {
    for (const s of stopAll) await s().catch(() => {});
    await provider.detach();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function start(spec: InstanceSpec) {
    const r = await provider.start(spec);
    stopAll.push(() => provider.stop(r, { signal: 'SIGKILL', killAfterMs: 1000 }));
    await waitFor(() => provider.probe(r, { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 }), 'ready');
    return r;
  }

  test('gives the instance PORT and the CUTOVER_* variables, and its own process group', async () => {
    const r = await start({ ...appSpec({ EXTRA: 'yes' }), command: `${serverCommand()} & echo "env $EXTRA $CUTOVER_SERVICE $CUTOVER_REVISION $CUTOVER_INSTANCE"; wait` });
    assert.equal(await httpText(r.port), 'v2');
    assert.equal(r.pgid, r.pid);
    assert.ok(r.procStart, 'the kernel start time is recorded');
    const log = readFileSync(r.logFile, 'utf8');
    assert.match(log, new RegExp(`env yes web 2 ${r.id}`));
    assert.match(log, new RegExp(`listening on ${r.port} version=v2 instance=${r.id}`));
    await provider.stop(r, { signal: 'SIGTERM', killAfterMs: 5000 });
    assert.equal(await provider.probe(r, { intervalMs: 1, timeoutMs: 500, failureThreshold: 1, successThreshold: 1 }), false, 'the whole group stopped, the server too');
  });

  test('a simple command is exec’d, so the program itself is the instance’s pid', async () => {
    const r = await start(appSpec());
    assert.equal(await httpText(r.port, '/pid'), String(r.pid));
    const cases: Array<[string, string]> = [
      ['node server.js', 'exec node server.js'],
      ["  'my app' --flag=1 \"two words\"", "exec 'my app' --flag=1 \"two words\""],
      ['exec node x', 'exec node x'],
      ['cd app && node x', 'cd app && node x'],
      ['node a | tee log', 'node a | tee log'],
      ['PORT2=1 node x', 'PORT2=1 node x'],
      ['node $FILE', 'node $FILE'],
      ['node x > out', 'node x > out'],
    ];
    for (const [cmd, want] of cases) assert.equal(shellCommand(cmd), want, cmd);
  });

  test('writes output to <stateDir>/logs/<service>/<revision>-<id>.log, private to the owner', async () => {
    const r = await start(appSpec());
    assert.equal(r.logFile, join(stateDir, 'logs', 'web', `2-${r.id}.log`));
    assert.equal(statSync(r.logFile).mode & 0o777, 0o600);
    // A SIGTERM before the app has set its handler would end it without the line this test looks for.
    await waitFor(() => readFileSync(r.logFile, 'utf8').includes('listening on'), 'app listening');
    await provider.stop(r, { signal: 'SIGTERM', killAfterMs: 5000 });
    assert.match(readFileSync(r.logFile, 'utf8'), /SIGTERM: closing/);
  });

  test('a restart in place appends to the same log, which moves to .1 once past maxLogBytes', async () => {
    const small = new LocalProvider({ stateDir, maxLogBytes: 10 });
    const first = await small.start(appSpec());
    stopAll.push(() => small.stop(first, { signal: 'SIGKILL', killAfterMs: 1000 }));
    await small.stop(first, { signal: 'SIGTERM', killAfterMs: 5000 });
    const second = await small.start({ ...appSpec(), id: first.id });
    stopAll.push(() => small.stop(second, { signal: 'SIGKILL', killAfterMs: 1000 }));
    assert.equal(second.id, first.id);
    assert.equal(second.logFile, first.logFile);
    assert.match(readFileSync(`${first.logFile}.1`, 'utf8'), new RegExp(`on 127.0.0.1:${first.port}`));
    assert.match(readFileSync(second.logFile, 'utf8'), new RegExp(`^\\[cutover\\] .* on 127.0.0.1:${second.port}`));
  });

  test('a recycled PID is never mistaken for the instance, nor signalled', async () => {
    const r = await start(appSpec());
    const impostor = { ...r, id: 'other', procStart: '1' };
    assert.equal(provider.isAlive(impostor), false);
    assert.equal(new LocalProvider({ stateDir }).adopt(impostor), false);
    await provider.stop(impostor, { signal: 'SIGKILL', killAfterMs: 100 });
    assert.equal(provider.isAlive(r), true, 'the real process was not signalled');
    assert.equal(await httpText(r.port), 'v2');
  });

  test('ports come from below the ephemeral range and are not handed out twice', async () => {
    const range = defaultPortRange();
    assert.ok(range.max < Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]));
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort('127.0.0.1')));
    assert.equal(new Set(ports).size, 20);
    for (const p of ports) assert.ok(p >= range.min && p <= range.max, `${p} in ${range.min}..${range.max}`);
    assert.equal(await freePort('127.0.0.1', { min: 0, max: 0 }) > 0, true, 'an empty range falls back to any free port');
  });

  test('an instance outlives a controller killed with SIGKILL and is adopted by the next one', async () => {
    const ctl = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/controller.ts', import.meta.url)), stateDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: ctl.stdout! }), 'line')) as [string];
    const record = JSON.parse(line) as InstanceRecord;
    stopAll.push(() => provider.stop(record, { signal: 'SIGKILL', killAfterMs: 1000 }));
    const probe = { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 };
    await waitFor(() => provider.probe(record, probe), 'instance ready');
    ctl.kill('SIGKILL');
    await once(ctl, 'exit');
    assert.equal(await httpText(record.port), 'v1', 'still serving after the controller died');
    const next = new LocalProvider({ stateDir });
    assert.equal(next.adopt(record), true);
    await next.stop(record, { signal: 'SIGTERM', killAfterMs: 5000 });
    assert.equal(next.isAlive(record), false);
  });

  test('a running instance’s log past maxLogBytes moves to .1 and starts again empty, the instance writing on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
    const rotating = new LocalProvider({ stateDir: dir, maxLogBytes: 1024, logCheckMs: 50 });
    const r = await rotating.start({ ...appSpec(), command: 'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.002; done' });
    try {
      await waitFor(async () => existsSync(`${r.logFile}.1`) && numbered(readFileSync(r.logFile, 'utf8')).length > 3, 'rotated while running');
    } finally {
      await rotating.stop(r, { signal: 'SIGKILL', killAfterMs: 1000 });
      await rotating.detach();
    }
    const old = numbered(readFileSync(`${r.logFile}.1`, 'utf8'));
    const current = numbered(readFileSync(r.logFile, 'utf8'));
    assert.equal(statSync(`${r.logFile}.1`).mode & 0o777, 0o600);
    assert.ok(statSync(r.logFile).size < 4096, `the log started again (${statSync(r.logFile).size} bytes)`);
    // The same process went on writing into the emptied file: its count continues where .1 stops (a line may
    // be lost only if written between the last copy and the truncate).
    const gap = current[0]! - old.at(-1)!;
    assert.ok(gap >= 1 && gap <= 2, `.1 ends at line ${old.at(-1)}, the log starts at line ${current[0]}`);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a new instance never gets the ID of one started before in the state dir, even on a random clash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
    try {
      const spec = appSpec();
      const used = instanceLogFile(dir, spec.service, spec.revision, 'web-2-aaaaaa');
      mkdirSync(dirname(used), { recursive: true });
      writeFileSync(used, '');
      const draws = ['web-2-aaaaaa', 'web-2-aaaaaa', 'web-2-bbbbbb'];
      assert.equal(unusedInstanceId(dir, spec, () => draws.shift()!), 'web-2-bbbbbb');
      assert.deepEqual(draws, [], 'drew until the ID was unused');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing working directory is a clear error', async () => {
    await assert.rejects(provider.start({ ...appSpec(), cwd: join(stateDir, 'nope') }), { code: 'INSTANCE_START_FAILED' });
  });
});
