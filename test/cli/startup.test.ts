// What `cutover --version` and the client commands load. They only talk to the
// control API over HTTP, so they must not pay for the engine, the proxy, pg,
// SQLite, Fastify or pino at start-up (CI steps and `status` loops pay it on
// every call). A structural check, not a timing one: each command runs with a
// module hook that records every module it imports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordApiSettings } from '../../src/config/api-settings.ts';
import { BIN, childEnv } from '../helpers/engine.ts';

const HOOK = fileURLToPath(new URL('./fixtures/record-imports.mjs', import.meta.url));

/** Packages a client command may load: the command line parser (and the YAML parser when cutover up has not recorded the API's address, see the last tests). */
const CLIENT_PACKAGES = new Set(['commander']);
/** Our modules a client command may load (paths below src/ or the build dir). */
const CLIENT_SOURCES = [/^cli\//, /^errors\.[jt]s$/, /^config\/(api-settings|defaults)\.[jt]s$/, /^shared\/(token|atomic-file)\.[jt]s$/, /^shared\/certificate\.[jt]s$/ /* status's TLS line: node:crypto only */];
/** What runs bin/cutover.js from the TypeScript sources when there is no build (not part of the command). */
const LAUNCHER_PACKAGES = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

const STATUS = {
  service: 'web', phase: 'Healthy', message: '', strategy: 'rolling', steps: 0, stepIndex: 0,
  stableRevision: { number: 1, version: 'v1' }, canaryRevision: null, weight: 0, rolloutRevision: 1,
  revisions: [{ number: 1, version: 'v1', role: 'stable', ready: 1, desired: 1, weight: 100 }],
};

/** What the stand-in API answers: enough of each route's shape for the command to print it. */
function answerFor(url: string): unknown {
  if (url === '/api/v1/services') return [STATUS];
  if (url.includes('/revisions') || url.startsWith('/api/v1/events')) return [];
  if (url.endsWith('/shadow')) return { service: 'web', shadowRevision: null, stableRevision: 1, comparison: null, stable: null, shadow: null };
  if (url.endsWith('/experiment')) return null;
  if (url === '/api/v1/flags') return { revision: 0, flags: [], segments: [] };
  if (url === '/api/v1/client-token') return { token: 'client' };
  if (url.startsWith('/api/v1/notifications')) return { webhooks: [], deliveries: [] };
  return STATUS;
}

let dir: string;
let api: Server;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cutover-startup-'));
  // A stand-in control API, so each command runs to its end (config file, token, request, output).
  api = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = answerFor(req.url ?? '/');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const port = (api.address() as AddressInfo).port;
  writeFileSync(join(dir, 'cutover.yaml'), `api: { port: ${port} }\nservices:\n  web:\n    listen: 18080\n    run: node server.js\n`);
  // What `cutover up` does once it listens: record the API's address for this config text.
  await recordApiSettings(join(dir, 'cutover.yaml'));
  // A config no `cutover up` has recorded.
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'cutover.yaml'), `api: { port: ${port} }\nservices:\n  web:\n    listen: 18080\n    run: node server.js\n`);
});
after(() => {
  api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `cutover <args>` in the temp dir and returns its exit code and the modules it loaded, as package names and source paths. */
function loaded(args: string[]): Promise<{ code: number; stderr: string; packages: Set<string>; sources: Set<string> }> {
  const record = join(dir, `imports-${args.join('-').replace(/\W+/g, '_')}.txt`);
  writeFileSync(record, '');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', HOOK, BIN, ...args], { cwd: dir, env: childEnv({ RECORD_IMPORTS: record }) });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const packages = new Set<string>();
      const sources = new Set<string>();
      for (const url of readFileSync(record, 'utf8').split('\n').filter(Boolean)) {
        if (!url.startsWith('file:')) continue;
        const path = fileURLToPath(url);
        const pkg = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
        if (pkg) {
          if (!LAUNCHER_PACKAGES.has(pkg[1]!)) packages.add(pkg[1]!);
          continue;
        }
        const own = /\/(?:src|dist|\.dist-\d+)\/(.+)$/.exec(path);
        if (own) sources.add(own[1]!);
      }
      resolve({ code: code ?? -1, stderr, packages, sources });
    });
  });
}

test('--version and --help load commander and the command declarations, nothing else', async () => {
  for (const args of [['--version'], ['--help']]) {
    const r = await loaded(args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...r.packages], ['commander'], `cutover ${args.join(' ')}`);
    // cli/format.ts renders status's TLS line with shared/certificate.ts's day arithmetic (it imports only node:crypto).
    const others = [...r.sources].filter((s) => !/^cli\//.test(s) && !/^errors\.[jt]s$/.test(s) && !/^shared\/certificate\.[jt]s$/.test(s));
    assert.deepEqual(others, [], `cutover ${args.join(' ')} loads modules outside src/cli`);
  }
});

const CLIENT_COMMANDS = [
  ['status'],
  ['status', 'web'],
  ['history', 'web'],
  ['events'],
  ['deploy', 'web', '--version', 'v2'],
  ['deploy', 'web', '--version', 'v2', '--wait'],
  ['promote', 'web'],
  ['undo', 'web'],
  ['abort', 'web'],
  ['pause', 'web'],
  ['resume', 'web'],
  ['retry', 'web'],
  ['promote', 'web', '--variant', 'b'],
  ['shadow', 'report', 'web'],
  ['experiment', 'report', 'web'],
  ['flags', 'list'],
  ['flags', 'token'],
  ['notifications'],
];

for (const args of CLIENT_COMMANDS) {
  test(`cutover ${args.join(' ')} loads only the HTTP client and the recorded API address`, async () => {
    const r = await loaded(args);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.sources.has('cli/client.js') || r.sources.has('cli/client.ts'), 'the command ran');
    assert.ok([...r.sources].some((s) => s.startsWith('config/api-settings')), 'it looked up the API address for cutover.yaml');
    const packages = [...r.packages].filter((p) => !CLIENT_PACKAGES.has(p));
    assert.deepEqual(packages, [], 'packages a client command must not load');
    const sources = [...r.sources].filter((s) => !CLIENT_SOURCES.some((re) => re.test(s)));
    assert.deepEqual(sources, [], 'modules a client command must not load');
  });
}

test('without a record, a client command parses the YAML, but still loads neither zod nor the schema', async () => {
  const r = await loaded(['status', '-c', join('other', 'cutover.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...r.packages].sort(), ['commander', 'yaml']);
  assert.deepEqual([...r.sources].filter((s) => !CLIENT_SOURCES.some((re) => re.test(s))), []);
});

test('the recorder sees what a heavy command loads (so the checks above can fail)', async () => {
  const r = await loaded(['validate']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.packages.has('zod'), [...r.packages].join());
  assert.ok([...r.sources].some((s) => s.startsWith('config/schema')));
});
