// The cutover command as a user runs it: exit codes and messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

test("an API refusal is printed with the API's code, the one docs/errors.md explains (exit 2)", async (t) => {
  const api = createServer((req, res) => {
    req.resume();
    res.writeHead(409, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NO_ROLLOUT_IN_PROGRESS', message: 'cannot promote "web": no rollout in progress (phase Healthy)', hint: 'start one with `cutover deploy`' }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  t.after(() => api.close());
  const r = await runCli(['promote', 'web', '--api', `http://127.0.0.1:${(api.address() as AddressInfo).port}`, '--token', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error \[NO_ROLLOUT_IN_PROGRESS\]: cannot promote "web"/);
  assert.match(r.stderr, /hint: start one with `cutover deploy`/);
});
