// The cutover command as a user runs it: exit codes and messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCli } from '../helpers/engine.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cutover-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('validate accepts a good file and names every problem in a bad one (exit 2)', async () => {
  writeFileSync(join(dir, 'good.yaml'), 'services:\n  web:\n    listen: 8080\n    run: node server.js\n');
  const ok = await runCli(['validate', '-c', join(dir, 'good.yaml')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /is valid: 1 service\(s\): web/);

  writeFileSync(join(dir, 'bad.yaml'), 'services:\n  web:\n    listen: http\n    run: node server.js\n    shutdown: { drainTimeout: forever }\n');
  const bad = await runCli(['validate', '-c', join(dir, 'bad.yaml')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /CONFIG_INVALID/);
  assert.match(bad.stderr, /services\.web\.listen/);
  assert.match(bad.stderr, /services\.web\.shutdown\.drainTimeout: "forever" is not a duration/);
});

test('schema prints a JSON Schema', async () => {
  const r = await runCli(['schema']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
  assert.match(schema.$schema, /json-schema/);
  assert.ok(schema.properties.services);
});

test('a command without a running controller exits 3 with a hint', async () => {
  const port = await freePort();
  const r = await runCli(['status', '--api', `http://127.0.0.1:${port}`, '--token', 'x']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /API_UNREACHABLE/);
  assert.match(r.stderr, /cutover up/);
});

test('bad flags are refused before anything is sent (exit 2)', async () => {
  const r = await runCli(['deploy', 'web', '--version', 'v2', '--env', 'NOEQUALS', '--api', 'http://127.0.0.1:1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /KEY=VALUE/);
  const missing = await runCli(['deploy', 'web']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--version/);
});
