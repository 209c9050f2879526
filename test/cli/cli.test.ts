// The cutover command as a user runs it: exit codes and messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCli } from '../helpers/engine.ts';
import { makeCertificate } from '../helpers/certs.ts';

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

test('validate warns when a shadow copies writes (each runs twice), and not for safe methods (exit 0 both)', async () => {
  const shadow = (methods: string) => `services:\n  web:\n    listen: 8080\n    run: node server.js\n    strategy: { shadow: { methods: ${methods} } }\n`;
  writeFileSync(join(dir, 'shadow-writes.yaml'), shadow('[GET, POST, DELETE]'));
  const writes = await runCli(['validate', '-c', join(dir, 'shadow-writes.yaml')]);
  assert.equal(writes.code, 0, writes.stderr);
  assert.match(writes.stderr, /warning: services\.web\.strategy\.shadow\.methods: POST, DELETE are copied to the shadow: each such request runs its side effect twice/);
  writeFileSync(join(dir, 'shadow-safe.yaml'), shadow('[GET, HEAD, OPTIONS]'));
  const safe = await runCli(['validate', '-c', join(dir, 'shadow-safe.yaml')]);
  assert.equal(safe.code, 0, safe.stderr);
  assert.doesNotMatch(safe.stderr, /warning/);
});

test('validate on a hostile file (alias bomb, 50 MB, not UTF-8, __proto__ service) exits 2 with the problem and no stack trace, at once', async () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  const files: Array<[string, string | Buffer, RegExp]> = [
    ['bomb.yaml', `${lines.join('\n')}\nservices:\n  web: { listen: 8080, run: x }\n`, /Excessive alias count/],
    ['huge.yaml', `# ${'x'.repeat(50 * 1024 * 1024)}\n`, /at most 1048576 bytes/],
    ['latin1.yaml', Buffer.from('services:\n  web: { listen: 8080, run: "caf\xe9" }\n', 'latin1'), /line 2, column 33: byte 0xe9 is not UTF-8/],
    ['proto.yaml', 'services:\n  __proto__: { listen: 8080, run: x }\n', /services\.__proto__: "__proto__" is not a service name/],
  ];
  for (const [name, text, want] of files) {
    writeFileSync(join(dir, name), text);
    const t0 = performance.now();
    const r = await runCli(['validate', '-c', join(dir, name)]);
    const ms = performance.now() - t0;
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, want, name);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `${name} printed a stack trace:\n${r.stderr}`);
    assert.ok(r.stderr.trim().split('\n').length <= 3, `${name}:\n${r.stderr}`);
    assert.ok(ms < 10_000, `${name} took ${ms.toFixed(0)} ms`);
  }
});

test('validate checks the certificate files: missing, mismatched, not covering a host (exit 2); expiring soon is a warning (exit 0)', async () => {
  mkdirSync(join(dir, 'certs'));
  makeCertificate(join(dir, 'certs'), 'web', { hosts: ['web.test'] });
  makeCertificate(join(dir, 'certs'), 'other', { hosts: ['other.test'] });
  makeCertificate(join(dir, 'certs'), 'soon', { hosts: ['web.test'], days: 5 });
  const config = (name: string, certFile: string, keyFile: string, hosts = '[web.test]'): string => {
    writeFileSync(join(dir, `${name}.yaml`), `services:\n  web:\n    listen: 8443\n    run: node server.js\n    hosts: ${hosts}\n    tls: { certFile: ${certFile}, keyFile: ${keyFile} }\n`);
    return join(dir, `${name}.yaml`);
  };

  const good = await runCli(['validate', '-c', config('tls-good', 'certs/web.crt', 'certs/web.key')]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /web: HTTPS on port 8443, certificate CN=web\.test for web\.test, expires \S+ \(29 days\)/);
  assert.equal(good.stderr, '');

  const soon = await runCli(['validate', '-c', config('tls-soon', 'certs/soon.crt', 'certs/soon.key')]);
  assert.equal(soon.code, 0, soon.stderr);
  assert.match(soon.stderr, /warning: services\.web\.tls\.certFile: the certificate expires on \S+ \(4 days left\) \(renew it/);

  const missing = await runCli(['validate', '-c', config('tls-missing', 'certs/nope.crt', 'certs/web.key')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /services\.web\.tls\.certFile: cannot read the certificate file: no such file/);

  // `up` refuses the same file before it starts anything (it leaves keys to the proxy process).
  const up = await runCli(['up', '-c', join(dir, 'tls-missing.yaml')]);
  assert.equal(up.code, 2);
  assert.match(up.stderr, /CONFIG_INVALID[\s\S]*services\.web\.tls\.certFile: cannot read the certificate file: no such file/);

  const mismatched = await runCli(['validate', '-c', config('tls-mismatch', 'certs/web.crt', 'certs/other.key')]);
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /services\.web\.tls\.keyFile: the key does not match the certificate in \S+web\.crt/);
  assert.doesNotMatch(mismatched.stderr + mismatched.stdout, /PRIVATE KEY/);

  const uncovered = await runCli(['validate', '-c', config('tls-uncovered', 'certs/web.crt', 'certs/web.key', '[web.test, api.test]')]);
  assert.equal(uncovered.code, 2);
  assert.match(uncovered.stderr, /services\.web\.tls\.certFile: the certificate does not cover host "api\.test" \(it is valid for web\.test\)/);
});

test('schema prints a JSON Schema', async () => {
  const r = await runCli(['schema']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
  assert.match(schema.$schema, /json-schema/);
  assert.ok(schema.properties.services);
});

test('history --json and deploy --dry-run --json print env values masked; --show-secrets prints them', async () => {
  const { buildApi } = await import('../../src/api/server.ts');
  const revision = { service: 'web', number: 1, version: 'v1', command: 'node s.js', cwd: '/app', env: { DATABASE_URL: 'postgres://u:hunter2@db/x', LOG_LEVEL: 'info' }, strategy: 'rolling', configHash: 'h', createdAt: 0 };
  const control = {
    history: () => [revision],
    dryRun: (_s: string, req: { version: string; env?: Record<string, string> }) => ({ revision: { ...revision, number: 2, version: req.version, env: req.env ?? {} }, steps: [] }),
  };
  const api = buildApi({ control: control as never, token: 'cli-token' });
  await api.listen({ port: 0, host: '127.0.0.1' });
  try {
    const flags = ['--api', `http://127.0.0.1:${(api.server.address() as { port: number }).port}`, '--token', 'cli-token'];
    const masked = await runCli(['history', 'web', '--json', ...flags]);
    assert.equal(masked.code, 0, masked.stderr);
    assert.doesNotMatch(masked.stdout, /hunter2|"info"/);
    const env = (JSON.parse(masked.stdout) as Array<{ env: Record<string, string> }>)[0]!.env;
    assert.deepEqual(Object.keys(env), ['DATABASE_URL', 'LOG_LEVEL']);
    assert.match(env.DATABASE_URL!, /^masked:[0-9a-f]{12}$/);
    const shown = await runCli(['history', 'web', '--json', '--show-secrets', ...flags]);
    assert.equal((JSON.parse(shown.stdout) as Array<{ env: Record<string, string> }>)[0]!.env.DATABASE_URL, 'postgres://u:hunter2@db/x');
    const dry = await runCli(['deploy', 'web', '--version', 'v2', '--env', 'API_KEY=sk-live-123', '--dry-run', '--json', ...flags]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /sk-live-123/);
    const dryShown = await runCli(['deploy', 'web', '--version', 'v2', '--env', 'API_KEY=sk-live-123', '--dry-run', '--json', '--show-secrets', ...flags]);
    assert.match(dryShown.stdout, /sk-live-123/);
  } finally {
    await api.close();
  }
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
