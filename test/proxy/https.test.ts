// HTTPS as cutover.yaml asks for it: certificates per server name (SNI) on one port, reloads that keep open
// connections, refused replacements that keep the old certificate, the HTTP→HTTPS redirect, HSTS, and the things
// that work over HTTP working the same over TLS (WebSockets closed with 1012 on drain, retries, the preview rule).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { buildRoutes } from '../../src/rollout/route-builder.ts';
import { emptyDesired } from '../../src/rollout/state.ts';
import { parseRoutesState, type RoutesState } from '../../src/proxy/contract.ts';
import { freePort } from '../../src/runtime/local/ports.ts';
import type { Logger } from '../../src/shared/log.ts';
import { startUpstream, nodeGet } from '../helpers/upstream.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

interface HttpsAnswer {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
  /** The CN of the certificate the proxy presented. */
  cn: string;
}

/** One HTTPS request on a fresh connection; `servername` '' sends no SNI. */
function httpsGet(port: number, o: { servername?: string; host?: string; path?: string; headers?: Record<string, string> } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: o.path ?? '/', servername: o.servername ?? '', headers: { host: o.host ?? (o.servername || 'x'), ...o.headers }, agent: false, rejectUnauthorized: false },
      (res) => {
        const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN);
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, cn }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A keep-alive TLS connection that sends one request at a time and reads one response at a time. */
class KeepAliveClient {
  private buf = '';
  private waiting: (() => void) | null = null;
  closed = false;
  private constructor(readonly socket: TLSSocket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number, servername: string): Promise<KeepAliveClient> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => resolve(new KeepAliveClient(s)));
      s.once('error', reject);
    });
  }

  get cn(): string {
    return String(this.socket.getPeerCertificate().subject?.CN);
  }

  async get(host: string): Promise<string> {
    this.buf = '';
    this.socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    for (;;) {
      const m = /content-length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(this.buf);
      if (m && this.buf.length >= m.index + m[0].length + Number(m[1])) return this.buf.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]));
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}

function capturedLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream) as unknown as Logger, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Replaces a file the way renewals should: write beside it, then rename over it. */
function replaceAtomically(from: string, to: string): void {
  copyFileSync(from, `${to}.new`);
  renameSync(`${to}.new`, to);
}

describe('HTTPS', () => {
  const cleanups = cleanupsAfter(after);
  const dir = mkdtempSync(join(tmpdir(), 'cutover-https-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const certs: Record<string, TestCertificate> = {
    a: makeCertificate(dir, 'a', { hosts: ['a.test', '*.a.test'] }),
    b: makeCertificate(dir, 'b', { hosts: ['b.test'] }),
    b2: makeCertificate(dir, 'b2', { hosts: ['b.test'] }),
  };

  async function upstream(name: string, headers: Record<string, string> = {}): Promise<number> {
    const u = await startUpstream(name, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(name), 'x-proto': String(req.headers['x-forwarded-proto']), ...headers });
        res.end(name);
      });
    });
    cleanups.push(() => u.close());
    return u.port;
  }

  function proxyWith(opts: Parameters<typeof createProxy>[0] = {}): Proxy {
    const p = createProxy({ tlsWatchMs: 50, ...opts });
    cleanups.push(() => p.close(500));
    return p;
  }

  /** cutover.yaml → route builder → proxy, as `cutover up` does it, with one ready instance per service. */
  function routesFrom(yaml: string, ports: Record<string, number>): RoutesState {
    const cfg = parseConfigText(yaml);
    const desired = { ...emptyDesired(), scale: { 1: 1 }, weightsBp: { 1: 10000 } };
    const state = buildRoutes(
      Object.entries(cfg.services).map(([name, svc]) => ({
        name,
        cfg: svc,
        desired,
        versions: { 1: 'v1' },
        ready: { 1: [{ id: `${name}-1`, host: '127.0.0.1', port: ports[name]!, ready: true }] },
      })),
    );
    return parseRoutesState(state); // what crosses the admin API is valid by the contract
  }

  test('services sharing a port each get their own certificate by SNI, and their own requests', async () => {
    const port = await freePort();
    const redirect = await freePort();
    const state = routesFrom(
      `services:
  a:
    listen: ${port}
    run: x
    hosts: [a.test, www.a.test]
    tls: { certFile: ${certs.a!.certFile}, keyFile: ${certs.a!.keyFile}, redirectHttp: ${redirect}, hsts: { maxAge: 365d, includeSubDomains: true } }
  b:
    listen: ${port}
    run: x
    hosts: [b.test]
    tls: { certFile: ${certs.b!.certFile}, keyFile: ${certs.b!.keyFile}, redirectHttp: ${redirect} }
`,
      { a: await upstream('a'), b: await upstream('b') },
    );
    assert.deepEqual(state.listeners, [
      {
        port,
        services: ['a', 'b'],
        tls: { certificates: [
          { certFile: certs.a!.certFile, keyFile: certs.a!.keyFile, hosts: ['a.test', 'www.a.test'] },
          { certFile: certs.b!.certFile, keyFile: certs.b!.keyFile, hosts: ['b.test'] },
        ] },
      },
      { port: redirect, services: [], redirectToHttps: { port } },
    ].sort((x, y) => x.port - y.port));
    const proxy = proxyWith();
    await proxy.apply(state);

    const a = await httpsGet(port, { servername: 'a.test' });
    assert.deepEqual([a.status, a.body, a.cn, a.headers['x-proto']], [200, 'a', 'a.test', 'https']);
    assert.equal(a.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    const www = await httpsGet(port, { servername: 'www.a.test' });
    assert.deepEqual([www.body, www.cn], ['a', 'a.test']);
    const b = await httpsGet(port, { servername: 'b.test' });
    assert.deepEqual([b.status, b.body, b.cn], [200, 'b', 'b.test']);
    assert.equal(b.headers['strict-transport-security'], undefined, 'b sets no hsts');
    // A name only the certificate covers (its wildcard) still gets it; no SNI or an unknown name gets the first.
    assert.equal((await httpsGet(port, { servername: 'api.a.test', host: 'a.test' })).cn, 'a.test');
    assert.equal((await httpsGet(port, { servername: '', host: 'b.test' })).cn, 'a.test');
    assert.equal((await httpsGet(port, { servername: 'other.test' })).status, 404);

    const info = proxy.certificates();
    assert.deepEqual(info.map((c) => [c.port, c.certFile, c.subject, c.hosts]), [
      [port, certs.a!.certFile, 'CN=a.test', ['a.test', 'www.a.test']],
      [port, certs.b!.certFile, 'CN=b.test', ['b.test']],
    ]);
    assert.deepEqual(info[0]!.names, ['a.test', '*.a.test']);
    assert.ok(Date.parse(info[0]!.notAfter) > Date.now() + 29 * 86_400_000);
    assert.doesNotMatch(JSON.stringify(info), /PRIVATE KEY|\.key"/, 'no key material, not even the key file');

    // The plain port only redirects: same host and path, the HTTPS port, 308 (method kept), no HSTS over HTTP.
    const moved = await nodeGet(`http://127.0.0.1:${redirect}/path?q=1`, { host: `a.test:${redirect}` });
    assert.equal(moved.status, 308);
    assert.equal(moved.headers.location, `https://a.test:${port}/path?q=1`);
    assert.equal(moved.headers['strict-transport-security'], undefined);
    assert.equal((await nodeGet(`http://127.0.0.1:${redirect}/`, { host: 'bad host' })).status, 400);
  });

  test('a redirect to port 443 leaves the port out; an instance that sets its own HSTS keeps it', async () => {
    const port = await freePort();
    const proxy = proxyWith();
    const own = await upstream('own', { 'strict-transport-security': 'max-age=60' });
    await proxy.apply({
      listeners: [
        { port, host: '127.0.0.1', services: ['web'], tls: { certFile: certs.b!.certFile, keyFile: certs.b!.keyFile } },
        { port: 0, host: '127.0.0.1', services: [], redirectToHttps: { port: 443 } },
      ],
      services: [{ name: 'web', hsts: { maxAgeSeconds: 100 }, revisions: [{ name: '1', weightBp: 10000, instances: [{ id: 'i', host: '127.0.0.1', port: own }] }] }],
    });
    const plain = proxy.addresses().find((a) => !a.tls)!.port;
    const moved = await nodeGet(`http://127.0.0.1:${plain}/x`, { host: 'B.test' });
    assert.equal(moved.headers.location, 'https://b.test/x');
    const r = await httpsGet(port, { servername: 'b.test' });
    assert.equal(r.headers['strict-transport-security'], 'max-age=60');
  });

  test('a certificate replaced on disk is served to new connections while an open keep-alive connection carries on', async () => {
    const log = capturedLogger();
    const proxy = proxyWith({ logger: log.logger });
    const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
    copyFileSync(certs.b!.certFile, live.certFile);
    copyFileSync(certs.b!.keyFile, live.keyFile);
    const port = await freePort();
    await proxy.apply({
      listeners: [{ port, host: '127.0.0.1', services: ['web'], tls: live }],
      services: [{ name: 'web', revisions: [{ name: '1', weightBp: 10000, instances: [{ id: 'i', host: '127.0.0.1', port: await upstream('web') }] }] }],
    });
    const before = proxy.certificates()[0]!.fingerprint256;
    const client = await KeepAliveClient.open(port, 'b.test');
    assert.equal(await client.get('b.test'), 'web');
    const oldFingerprint = client.socket.getPeerCertificate().fingerprint256;

    replaceAtomically(certs.b2!.keyFile, live.keyFile);
    replaceAtomically(certs.b2!.certFile, live.certFile);
    await waitFor(async () => (await httpsGet(port, { servername: 'b.test' })).cn === 'b.test' && proxy.certificates()[0]!.fingerprint256 !== before, 'the new certificate on new connections');
    const fresh = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ port, host: '127.0.0.1', servername: 'b.test', rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().fingerprint256);
        s.destroy();
      });
      s.once('error', reject);
    });
    assert.notEqual(fresh, oldFingerprint, 'new connections get the new certificate');
    assert.equal(await client.get('b.test'), 'web', 'the open connection still serves');
    assert.equal(client.closed, false);
    assert.equal(client.socket.getPeerCertificate().fingerprint256, oldFingerprint, 'on the same TLS session');
    client.socket.destroy();
    assert.ok(log.lines().some((l) => l.msg === 'TLS certificate reloaded' && l.subject === 'CN=b.test'));
  });

  test('a broken or mismatched replacement is refused with the reason logged, and the old certificate keeps serving', async () => {
    const log = capturedLogger();
    const proxy = proxyWith({ logger: log.logger });
    const live = { certFile: join(dir, 'broken.crt'), keyFile: join(dir, 'broken.key') };
    copyFileSync(certs.a!.certFile, live.certFile);
    copyFileSync(certs.a!.keyFile, live.keyFile);
    const port = await freePort();
    await proxy.apply({
      listeners: [{ port, host: '127.0.0.1', services: ['web'], tls: live }],
      services: [{ name: 'web', revisions: [{ name: '1', weightBp: 10000, instances: [{ id: 'i', host: '127.0.0.1', port: await upstream('web') }] }] }],
    });
    const served = proxy.certificates()[0]!.fingerprint256;
    const refusals = (): Array<Record<string, unknown>> => log.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('TLS certificate reload refused'));

    // A key that belongs to another certificate.
    replaceAtomically(certs.b!.keyFile, live.keyFile);
    await waitFor(() => refusals().length >= 1, 'the refusal of a mismatched pair');
    assert.match(String(refusals()[0]!.msg), /the key does not match the certificate in .*broken\.crt.*; the previous certificate keeps serving/);
    assert.equal(refusals()[0]!.keyFile, live.keyFile);
    let r = await httpsGet(port, { servername: 'a.test' });
    assert.deepEqual([r.status, r.body, r.cn], [200, 'web', 'a.test']);
    const info = proxy.certificates()[0]!;
    assert.equal(info.fingerprint256, served);
    assert.match(info.reloadError!.message, /does not match/);

    // A certificate file that is not PEM at all.
    writeFileSync(`${live.certFile}.new`, 'not a certificate\n');
    renameSync(`${live.certFile}.new`, live.certFile);
    await waitFor(() => refusals().length >= 2, 'the refusal of a broken certificate');
    assert.match(String(refusals()[1]!.msg), /no PEM certificate in the file/);
    r = await httpsGet(port, { servername: 'a.test' });
    assert.deepEqual([r.status, r.cn], [200, 'a.test']);
    for (const line of log.lines()) assert.doesNotMatch(JSON.stringify(line), /PRIVATE KEY/, 'no key material in the log');

    // Put a good pair back: it is picked up, and the refusal is forgotten.
    replaceAtomically(certs.b!.certFile, live.certFile);
    await waitFor(() => proxy.certificates()[0]!.subject === 'CN=b.test', 'the repaired pair');
    assert.equal(proxy.certificates()[0]!.reloadError, undefined);
    assert.equal((await httpsGet(port, { servername: 'b.test' })).cn, 'b.test');
  });

  test('a table naming an unusable certificate is refused as a whole; a new certificate list is taken without a new socket', async () => {
    const proxy = proxyWith();
    const port = await freePort();
    const web = await upstream('web');
    const table = (tls: RoutesState['listeners'][number]['tls']): RoutesState => ({
      listeners: [{ port, host: '127.0.0.1', services: ['web'], tls }],
      services: [{ name: 'web', revisions: [{ name: '1', weightBp: 10000, instances: [{ id: 'i', host: '127.0.0.1', port: web }] }] }],
    });
    await proxy.apply(table({ certificates: [{ certFile: certs.a!.certFile, keyFile: certs.a!.keyFile }] }));
    const client = await KeepAliveClient.open(port, 'a.test');
    assert.equal(await client.get('a.test'), 'web');

    await assert.rejects(
      proxy.apply(table({ certificates: [{ certFile: certs.a!.certFile, keyFile: certs.a!.keyFile }, { certFile: certs.b!.certFile, keyFile: certs.a!.keyFile }] })),
      (err: Error & { code?: string }) => err.code === 'PROXY_TLS_INVALID' && /the key does not match/.test(err.message) && !/PRIVATE KEY/.test(err.message),
    );
    assert.equal(proxy.certificates().length, 1, 'nothing changed');

    await proxy.apply(table({ certificates: [{ certFile: certs.a!.certFile, keyFile: certs.a!.keyFile }, { certFile: certs.b!.certFile, keyFile: certs.b!.keyFile }] }));
    assert.equal((await httpsGet(port, { servername: 'b.test' })).cn, 'b.test');
    assert.equal(await client.get('a.test'), 'web', 'the open connection was not touched');
    client.socket.destroy();
  });

  test('over TLS: wss relayed and closed with 1012 on drain, a refused connection retried, the preview header pins its revision', async () => {
    const server = createServer((req, res) => res.end(`http ${req.headers['x-forwarded-proto']}`));
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m.toString()}`)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(); server.close(() => r()); }));
    const wsPort = (server.address() as AddressInfo).port;
    const dead = await freePort(); // nothing listens: connecting fails, the request goes to the other instance
    const preview = await upstream('preview');

    const proxy = proxyWith();
    const port = await freePort();
    await proxy.apply({
      listeners: [{ port, host: '127.0.0.1', services: ['web'], tls: { certFile: certs.a!.certFile, keyFile: certs.a!.keyFile } }],
      services: [{
        name: 'web',
        revisions: [
          { name: '1', weightBp: 10000, instances: [{ id: 'dead', host: '127.0.0.1', port: dead }, { id: 'ws', host: '127.0.0.1', port: wsPort }] },
          { name: '2', weightBp: 0, instances: [{ id: 'preview', host: '127.0.0.1', port: preview }] },
        ],
        rules: [{ revision: '2', header: { name: 'x-cutover-preview', value: '1' } }],
      }],
    });

    for (let i = 0; i < 6; i++) assert.equal((await httpsGet(port, { servername: 'a.test' })).body, 'http https', 'retried past the refused instance');
    assert.equal((await httpsGet(port, { servername: 'a.test', headers: { 'x-cutover-preview': '1' } })).body, 'preview');

    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false });
    cleanups.push(() => ws.terminate());
    const got: string[] = [];
    ws.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('over tls');
    await waitFor(() => got.includes('echo over tls'), 'the echo over wss');
    assert.deepEqual(await proxy.drain('ws', 200), { drained: false, cut: 1 });
    assert.equal(await closed, 1012);
  });
});
