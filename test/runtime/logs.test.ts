import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { follow, logFiles, tailLines } from '../../src/runtime/logs.ts';
import { InstanceManager } from '../../src/runtime/instance-manager.ts';
import { LocalProvider } from '../../src/runtime/local/local-provider.ts';
import { serverCommand } from '../helpers/apps/paths.ts';
import { waitFor } from '../helpers/wait.ts';

describe('logs', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'cutover-logs-'));
  const dir = join(stateDir, 'logs', 'web');
  mkdirSync(dir, { recursive: true });
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  test('logFiles finds a service’s files, optionally of one revision', () => {
    writeFileSync(join(dir, '1-web-1-aaaaaa.log'), 'a\n');
    writeFileSync(join(dir, '2-web-2-bbbbbb.log'), 'b\n');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    assert.deepEqual(logFiles(stateDir, 'web').map((f) => f.instance).sort(), ['web-1-aaaaaa', 'web-2-bbbbbb']);
    assert.deepEqual(logFiles(stateDir, 'web', '2').map((f) => [f.revision, f.instance]), [['2', 'web-2-bbbbbb']]);
    assert.deepEqual(logFiles(stateDir, 'api'), []);
  });

  test('tailLines returns the last n lines, also across read chunks', async () => {
    const f = join(dir, '3-web-3-cccccc.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`);
    writeFileSync(f, lines.join('\n') + '\n');
    assert.deepEqual(await tailLines(f, 3), lines.slice(-3));
    assert.deepEqual(await tailLines(f, 9000), lines.slice(-9000));
    assert.deepEqual(await tailLines(f, 0), []);
    writeFileSync(f, 'only\nno newline at end');
    assert.deepEqual(await tailLines(f, 5), ['only', 'no newline at end']);
  });

  test('follow reports appended lines, joins partial lines, picks up new files and truncation', async () => {
    const a = join(dir, '4-web-4-dddddd.log');
    const b = join(dir, '4-web-4-eeeeee.log');
    writeFileSync(a, 'old line\n');
    const seen: string[] = [];
    const ctl = new AbortController();
    const files = () => logFiles(stateDir, 'web', '4').map((f) => f.path);
    const done = follow(files, (line, file) => seen.push(`${file === a ? 'a' : 'b'}:${line}`), ctl.signal, { pollMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    appendFileSync(a, 'one\ntw');
    await waitFor(() => seen.length >= 1, 'first line');
    appendFileSync(a, 'o\n');
    writeFileSync(b, 'from b\n');
    await waitFor(() => seen.length >= 3, 'three lines');
    truncateSync(a, 0);
    await new Promise((r) => setTimeout(r, 60));
    appendFileSync(a, 'after truncate\n');
    await waitFor(() => seen.length >= 4, 'line after truncation');
    ctl.abort();
    await done;
    assert.deepEqual(seen.sort(), ['a:after truncate', 'a:one', 'a:two', 'b:from b'].sort());
  });

  test('a real instance’s output lands in its file and can be tailed', async () => {
    const m = new InstanceManager({ provider: new LocalProvider({ stateDir }) });
    const probe = { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 };
    const inst = await m.start({ service: 'api', revision: 7, version: 'v7', command: serverCommand(), cwd: tmpdir(), env: {} }, { readiness: probe });
    try {
      await m.waitFor(inst.id, (i) => i.ready, 15_000);
      const [file] = logFiles(stateDir, 'api', '7');
      assert.equal(file?.path, inst.record.logFile);
      assert.match((await tailLines(file!.path, 1))[0] ?? '', new RegExp(`listening on ${inst.record.port} version=v7`));
    } finally {
      await m.stop(inst.id, { signal: 'SIGTERM', killAfterMs: 2000 });
      await m.close();
    }
  });
});
