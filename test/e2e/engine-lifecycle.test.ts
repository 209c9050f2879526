// `cutover up` / `down` around the data plane: leaving it running for an
// upgrade, stopping it whatever the controller did, respawning a dead proxy,
// and never signalling a process that is not ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcess } from '../../src/runtime/local/proc.ts';
import { Engine, runCli } from '../helpers/engine.ts';

const service = `    replicas: 1
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 2s, killAfter: 1s }`;

test('up --leave-running keeps serving after the controller exits; down then stops everything', async () => {
  const engine = await Engine.start({ service });
  try {
    await engine.until(async () => (await engine.get('/')) === 200, 'the service to answer');
    // Two secrets, each 0600: the control API token does not open the proxy's admin API.
    const state = join(engine.dir, '.cutover');
    const [apiToken, proxyToken] = ['token', 'proxy-token'].map((f) => {
      assert.equal(statSync(join(state, f)).mode & 0o777, 0o600, f);
      return readFileSync(join(state, f), 'utf8').trim();
    });
    assert.notEqual(apiToken, proxyToken);
    const { adminUrl } = JSON.parse(readFileSync(join(state, 'proxy.json'), 'utf8')) as { adminUrl: string };
    assert.equal((await fetch(`${adminUrl}/routes`, { headers: { authorization: `Bearer ${apiToken}` } })).status, 401);
    assert.equal((await fetch(`${adminUrl}/routes`, { headers: { authorization: `Bearer ${proxyToken}` } })).status, 200);
    await engine.stopController('SIGTERM');
    assert.equal(await engine.get('/'), 0, 'without --leave-running, SIGTERM stops the data plane too');

    // An edit to `run` is not applied by restarting up: it says so and how to roll it out.
    writeFileSync(engine.config, readFileSync(engine.config, 'utf8').replace('run: node server.js', 'run: node ./server.js'));
    await engine.up('--leave-running');
    await engine.until(async () => (await engine.get('/')) === 200, 'the service to answer again');
    assert.match(engine.log, /services\.web in the config differs from the running revision #1 \(v1\).*cutover deploy web/);
    const proxyPid = engine.proxyPid()!;
    await engine.stopController('SIGTERM');
    assert.equal(await engine.get('/'), 200, 'the proxy and instances keep serving without the controller');
    assert.ok(isSameProcess(proxyPid));

    const down = await engine.cli('down');
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await engine.get('/'), 0, 'down stopped the proxy');
    assert.equal(isSameProcess(proxyPid), false);
  } finally {
    await engine.destroy();
  }
});

test('a proxy killed with -9 is restarted with its last routes', async () => {
  const engine = await Engine.start({ service });
  try {
    await engine.until(async () => (await engine.get('/')) === 200, 'the service to answer');
    const first = engine.proxyPid()!;
    process.kill(first, 'SIGKILL');
    await engine.until(async () => engine.proxyPid() !== first && (await engine.get('/')) === 200, 'a new proxy serving the same routes', 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(engine.log.match(/proxy process is gone; restarting it/g)?.length, 1, 'exactly one restart, no racing respawns');
    const s = await engine.status();
    assert.equal(s.phase, 'Healthy');
  } finally {
    await engine.destroy();
  }
});

test('down never signals a process whose pid a stale proxy.json names', async () => {
  const engine = await Engine.start({ service });
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await engine.until(async () => (await engine.get('/')) === 200, 'the service to answer');
    await engine.stopController('SIGTERM');
    writeFileSync(join(engine.dir, '.cutover', 'proxy.json'), JSON.stringify({ pid: bystander.pid, adminUrl: 'http://127.0.0.1:1' }));
    const down = await engine.cli('down');
    assert.equal(down.code, 0, down.stderr);
    assert.ok(isSameProcess(bystander.pid!), 'the unrelated process is still alive');
  } finally {
    bystander.kill('SIGKILL');
    await engine.destroy();
  }
});

test('up exits non-zero when it cannot start (API port taken), and a later up on the same state dir works', async () => {
  const engine = await Engine.start({ service });
  try {
    await engine.until(async () => (await engine.get('/')) === 200, 'the service to answer');
    await engine.stopController('SIGKILL');
    // Something else takes the API port: `up` must fail fast, not hang on as a headless controller.
    const squatter = createServer().listen(engine.apiPort, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const r = await runCli(['up', '-c', engine.config], { cwd: engine.dir });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /EADDRINUSE/);
      assert.equal(await engine.get('/'), 200, 'the data plane it found kept serving');
    } finally {
      squatter.close();
    }
    await engine.up();
    assert.equal((await engine.status()).phase, 'Healthy', 'the lock was released: a new controller took over');
  } finally {
    await engine.destroy();
  }
});

test('cutover.yaml proxy.limits reach the proxy process cutover up starts: a client over maxRequestsPerClient gets 429', async () => {
  const engine = await Engine.start({ service, extra: 'proxy:\n  limits: { maxRequestsPerClient: 2 }' });
  try {
    await engine.until(async () => (await engine.get('/')) === 200, 'the service to answer');
    const statuses = await Promise.all(
      Array.from({ length: 4 }, () => fetch(`http://127.0.0.1:${engine.listen}/slow?ms=1500`).then(async (r) => (await r.arrayBuffer(), r.status))),
    );
    assert.deepEqual([...statuses].sort(), [200, 200, 429, 429], 'two in flight from this address, the rest refused');
    const state = JSON.parse(readFileSync(join(engine.dir, '.cutover', 'proxy.json'), 'utf8')) as { limits?: string };
    assert.deepEqual(JSON.parse(state.limits!), { maxRequestsPerClient: 2 });
  } finally {
    await engine.destroy();
  }
});
