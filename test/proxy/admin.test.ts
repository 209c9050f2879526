import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runProxyProcess } from '../../src/proxy/process.ts';
import { ProxyAdminClient } from '../../src/proxy/admin-client.ts';
import { ProxyRejectedError, ProxyUnreachableError } from '../../src/proxy/errors.ts';
import { silentLogger } from '../../src/shared/log.ts';
import { startUpstream, get, oneService } from '../helpers/upstream.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { makeCertificate } from '../helpers/certs.ts';

describe('admin API, client and process entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-proxy-admin-'));
  const cleanups = cleanupsAfter(after);
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(name: string) {
    const files = { tokenFile: join(dir, `${name}.token`), stateFile: join(dir, `${name}.state.json`), tableFile: join(dir, `${name}.table.json`) };
    const p = await runProxyProcess({ adminPort: 0, handleSignals: false, logger: silentLogger, shutdownDrainMs: 500, ...files });
    cleanups.push(() => p.stop());
    const token = readFileSync(files.tokenFile, 'utf8').trim();
    return { p, files, token, client: new ProxyAdminClient({ url: p.admin!.url, token }) };
  }

  test('token file is created 0600, state file names the admin URL, /healthz needs no auth, the rest does', async () => {
    const { p, files, token, client } = await start('auth');
    cleanups.push(() => client.close());
    assert.equal(statSync(files.tokenFile).mode & 0o777, 0o600);
    assert.equal(token.length, 64);
    assert.deepEqual(JSON.parse(readFileSync(files.stateFile, 'utf8')), { pid: process.pid, adminUrl: p.admin!.url });
    assert.equal(await client.health(), true);
    for (const auth of [undefined, 'Bearer wrong', `Basic ${token}`]) {
      const r = await request(`${p.admin!.url}/routes`, { headers: auth ? { authorization: auth } : {} });
      assert.equal(r.statusCode, 401);
      assert.equal(((await r.body.json()) as { code: string }).code, 'UNAUTHORIZED');
    }
    const bad = new ProxyAdminClient({ url: p.admin!.url, token: 'nope' });
    cleanups.push(() => bad.close());
    await assert.rejects(bad.stats(), (e: unknown) => e instanceof ProxyRejectedError && e.status === 401);
  });

  test('routes round trip, bad bodies name the field and change nothing, readiness and drain over HTTP', async () => {
    const up = await startUpstream('up');
    cleanups.push(() => up.close());
    const { p, files, client } = await start('routes');
    cleanups.push(() => client.close());
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]);
    await client.apply(state);
    assert.deepEqual(await client.routes(), state);
    assert.deepEqual(JSON.parse(readFileSync(files.tableFile, 'utf8')), state);
    const base = `http://127.0.0.1:${p.proxy.addresses()[0]!.port}`;
    assert.equal((await get(`${base}/`)).body, 'up');

    const broken = structuredClone(state);
    broken.services[0]!.revisions[0]!.weightBp = 20000;
    await assert.rejects(client.apply(broken), (e: unknown) => {
      assert.ok(e instanceof ProxyRejectedError);
      assert.equal(e.status, 400);
      assert.match(e.message, /services\.0\.revisions\.0\.weightBp/);
      return true;
    });
    assert.deepEqual(await client.routes(), state, 'nothing changed');
    assert.equal((await get(`${base}/`)).body, 'up');

    await client.setReady('v1-0', false);
    assert.equal(p.proxy.stats()[0]!.revisions.v1!.instances['v1-0']!.healthy, false);
    await client.setReady('v1-0', true);
    await assert.rejects(client.setReady('ghost', true), (e: unknown) => e instanceof ProxyRejectedError && e.status === 404);
    const badReady = await request(`${p.admin!.url}/instances/v1-0/ready`, { method: 'PUT', headers: { authorization: `Bearer ${readFileSync(files.tokenFile, 'utf8').trim()}` }, body: '{"ready":"yes"}' });
    assert.equal(badReady.statusCode, 400);
    assert.match(((await badReady.body.json()) as { message: string }).message, /^ready:/);
    assert.deepEqual(await client.drain('v1-0', 1000), { drained: true, cut: 0 });
  });

  test('stats and Prometheus metrics count requests by status class', async () => {
    const up = await startUpstream('up', (req, res) => {
      req.resume();
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('x');
    });
    cleanups.push(() => up.close());
    const { p, token, client } = await start('metrics');
    cleanups.push(() => client.close());
    await client.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]));
    const base = `http://127.0.0.1:${p.proxy.addresses()[0]!.port}`;
    for (let i = 0; i < 5; i++) await get(`${base}/`);
    for (let i = 0; i < 2; i++) await get(`${base}/missing`);
    const [svc] = await client.stats();
    const rev = svc!.revisions.v1!;
    assert.equal(rev.requests, 7);
    assert.equal(rev.byClass['2xx'], 5);
    assert.equal(rev.byClass['4xx'], 2);
    assert.equal(rev.instances['v1-0']!.requests, 7);
    assert.ok(rev.p99 >= rev.p50 && rev.p50 > 0);
    const m = await request(`${p.admin!.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const text = await m.body.text();
    assert.match(text, /cutover_proxy_requests_total\{service="web",revision="v1",version="v1",instance="v1-0",class="2xx"\} 5/);
    assert.match(text, /cutover_proxy_requests_total\{service="web",revision="v1",version="v1",instance="v1-0",class="4xx"\} 2/);
    assert.match(text, /cutover_proxy_instance_available\{service="web",revision="v1",version="v1",instance="v1-0"\} 1/);
  });

  test('a restarted proxy serves the persisted table at once', async () => {
    const up = await startUpstream('persisted');
    cleanups.push(() => up.close());
    const first = await start('restart');
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]);
    await first.client.apply(state);
    await first.client.close();
    await first.p.stop();
    assert.ok(existsSync(first.files.tableFile));
    const second = await runProxyProcess({ adminPort: 0, handleSignals: false, logger: silentLogger, ...first.files });
    cleanups.push(() => second.stop());
    assert.equal((await get(`http://127.0.0.1:${second.proxy.addresses()[0]!.port}/`)).body, 'persisted');
  });

  test('GET /certificates describes what HTTPS listeners serve; a table with an unusable pair is refused with PROXY_TLS_INVALID', async () => {
    const up = await startUpstream('tls');
    cleanups.push(() => up.close());
    const { client } = await start('certificates');
    cleanups.push(() => client.close());
    const a = makeCertificate(dir, 'admin-a', { hosts: ['a.test'] });
    const b = makeCertificate(dir, 'admin-b', { hosts: ['b.test'] });
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]);
    assert.deepEqual(await client.certificates(), []);
    await client.apply({ ...state, listeners: [{ ...state.listeners[0]!, tls: { certFile: a.certFile, keyFile: a.keyFile } }] });
    const [info] = await client.certificates();
    assert.deepEqual([info!.certFile, info!.subject, info!.names, info!.hosts], [a.certFile, 'CN=a.test', ['a.test'], ['a.test']]);
    assert.equal(Object.keys(info!).some((k) => /key/i.test(k)), false, 'nothing about the key');

    await assert.rejects(client.apply({ ...state, listeners: [{ ...state.listeners[0]!, tls: { certFile: a.certFile, keyFile: b.keyFile } }] }), (e: unknown) => {
      assert.ok(e instanceof ProxyRejectedError);
      assert.equal(e.status, 400);
      assert.equal(e.fields.remoteCode, 'PROXY_TLS_INVALID');
      assert.match(e.message, /cannot serve .*admin-a\.crt with .*admin-b\.key: the key does not match the certificate/);
      return true;
    });
    assert.equal((await client.certificates())[0]!.fingerprint256, info!.fingerprint256, 'the previous certificate serves');
  });

  test('a restarted proxy whose persisted table names a certificate it can no longer use serves every other listener', async () => {
    const up = await startUpstream('still-here');
    cleanups.push(() => up.close());
    const first = await start('restart-tls');
    const c = makeCertificate(dir, 'restart', { hosts: ['r.test'] });
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]);
    await first.client.apply({ ...state, listeners: [state.listeners[0]!, { port: 0, host: '127.0.0.2', services: ['web'], tls: { certFile: c.certFile, keyFile: c.keyFile } }] });
    await first.client.close();
    await first.p.stop();
    rmSync(c.keyFile);
    const second = await runProxyProcess({ adminPort: 0, handleSignals: false, logger: silentLogger, ...first.files });
    cleanups.push(() => second.stop());
    assert.deepEqual(second.proxy.addresses().map((a) => a.tls), [false]);
    assert.equal((await get(`http://127.0.0.1:${second.proxy.addresses()[0]!.port}/`)).body, 'still-here');
  });

  test('the client reports an unreachable proxy with a typed error', async () => {
    const c = new ProxyAdminClient({ url: 'http://127.0.0.1:1', token: 't' });
    cleanups.push(() => c.close());
    assert.equal(await c.health(), false);
    await assert.rejects(c.stats(), (e: unknown) => e instanceof ProxyUnreachableError && e.code === 'PROXY_UNREACHABLE');
  });
});
