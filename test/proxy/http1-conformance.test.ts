// HTTP/1.1 behaviour the proxy gives today (node:http server + undici client),
// pinned at the byte level so a hand-written HTTP/1.1 path must keep it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { RawClient } from '../helpers/raw-http.ts';
import { waitFor } from '../helpers/wait.ts';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const BIG = Buffer.alloc(1024 * 1024, 0);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31 + (i >> 8)) & 0xff;

describe('HTTP/1.1 conformance through the proxy', () => {
  let web: TestUpstream;
  let raw: { port: number; server: NetServer; held: Socket[] };
  let proxy: Proxy;
  let port: number;
  const timers = new Set<NodeJS.Timeout>();

  before(async () => {
    web = await startUpstream('web', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => webHandler(req.url!, req.method!, Buffer.concat(chunks), res, timers));
    });
    raw = await startRawUpstream();
    proxy = createProxy();
    await proxy.apply({
      listeners: [{ port: 0, host: '127.0.0.1', services: ['web', 'raw'] }],
      services: [
        { name: 'web', revisions: [{ name: 'v1', weightBp: 10000, instances: [{ id: 'web-0', host: '127.0.0.1', port: web.port }] }] },
        { name: 'raw', pathPrefix: '/raw', revisions: [{ name: 'r1', weightBp: 10000, instances: [{ id: 'raw-0', host: '127.0.0.1', port: raw.port }] }] },
      ],
    });
    port = proxy.addresses()[0]!.port;
  });
  after(async () => {
    for (const t of timers) clearTimeout(t);
    await proxy.close();
    await web.close();
    for (const s of raw.held) s.destroy();
    await new Promise<void>((r) => raw.server.close(() => r()));
  });

  const open = (): Promise<RawClient> => RawClient.connect(port);
  const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: app.test\r\n${extra}\r\n`;

  test('keep-alive: three sequential requests on one connection are all answered and it stays open', async () => {
    const c = await open();
    try {
      for (const p of ['/one', '/two', '/three']) {
        c.send(get(p));
        const r = await c.read();
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), p);
      }
      assert.equal(c.closed, false);
      assert.equal(web.seen.filter((q) => ['/one', '/two', '/three'].includes(q.url!)).length, 3);
    } finally { c.destroy(); }
  });

  test('pipelining: two requests in one write get two responses in request order', async () => {
    const c = await open();
    try {
      // The first is held upstream so the second answer is ready first; order must still hold.
      c.send(get('/delay/first') + get('/second'));
      const a = await c.read();
      const b = await c.read();
      assert.deepEqual([a.status, a.body.toString(), b.status, b.body.toString()], [200, '/delay/first', 200, '/second']);
    } finally { c.destroy(); }
  });

  test('request bodies: small Content-Length, 1 MB streamed and chunked arrive intact and de-framed', async () => {
    const c = await open();
    try {
      c.send('POST /echo-body HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n0123456789');
      assert.equal((await c.read()).body.toString(), `10 ${sha('0123456789')} 0123456789`);

      c.send(`POST /echo-body HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${BIG.length}\r\n\r\n`);
      for (let i = 0; i < BIG.length; i += 64 * 1024) c.send(BIG.subarray(i, i + 64 * 1024));
      assert.equal((await c.read()).body.toString(), `${BIG.length} ${sha(BIG)}`);

      c.send('POST /echo-body HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n');
      assert.equal((await c.read()).body.toString(), `12 ${sha('hello, world')} hello, world`);
    } finally { c.destroy(); }
  });

  test('response framing: chunked, 1 MB Content-Length, 204, 304 and HEAD keep the connection reusable', async () => {
    const c = await open();
    try {
      c.send(get('/chunked'));
      assert.equal((await c.read()).body.toString(), 'part1-part2-part3-part4');
      c.send(get('/big'));
      const big = await c.read();
      assert.equal(big.body.length, BIG.length);
      assert.equal(sha(big.body), sha(BIG));
      for (const s of [204, 304]) {
        c.send(get(`/status/${s}`));
        const r = await c.read();
        assert.deepEqual([r.status, r.body.length], [s, 0]);
      }
      c.send(`HEAD /head HTTP/1.1\r\nHost: app.test\r\n\r\n`);
      const h = await c.read({ head: true });
      assert.deepEqual([h.status, h.header('content-length'), h.body.length], [200, '100', 0]);
      // Any stray body byte from the answers above would garble this response.
      c.send(get('/after'));
      assert.equal((await c.read()).body.toString(), '/after');
    } finally { c.destroy(); }
  });

  test('a close-delimited upstream response reaches the client complete', async () => {
    const c = await open();
    try {
      c.send(get('/raw/close-delimited'));
      const r = await c.read();
      assert.deepEqual([r.status, r.body.toString(), r.header('content-type')], [200, 'hello', 'text/plain']);
    } finally { c.destroy(); }
  });

  test('hop-by-hop response headers are dropped; mixed case and duplicate headers pass; connection stays usable', async () => {
    const c = await open();
    try {
      c.send(get('/raw/hop'));
      const r = await c.read();
      assert.equal(r.body.toString(), 'hop');
      assert.ok(!r.all('connection').some((v) => /close/i.test(v)), `connection: ${r.all('connection')}`);
      assert.ok(!r.all('keep-alive').some((v) => v.includes('timeout=99')), 'upstream Keep-Alive forwarded');
      assert.equal(r.header('x-hop-only'), undefined, 'a header named in Connection was forwarded');
      assert.equal(r.header('x-mixed-case'), 'VaLuE-MiX');
      assert.deepEqual(r.all('set-cookie'), ['a=1; Path=/', 'b=2; Path=/']);
      c.send(get('/still-open'));
      assert.equal((await c.read()).body.toString(), '/still-open');
    } finally { c.destroy(); }
  });

  test('upstream sees X-Forwarded-For/Proto/Host and a generated X-Request-Id; a client X-Request-Id is kept', async () => {
    const c = await open();
    try {
      c.send(get('/fwd-1') + get('/fwd-2', 'X-Request-Id: abc\r\n'));
      await c.read();
      await c.read();
      const [a, b] = ['/fwd-1', '/fwd-2'].map((p) => web.seen.find((q) => q.url === p)!.headers);
      assert.equal(a!['x-forwarded-for'], '127.0.0.1');
      assert.equal(a!['x-forwarded-proto'], 'http');
      assert.equal(a!['x-forwarded-host'], 'app.test');
      assert.match(String(a!['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(b!['x-request-id'], 'abc');
    } finally { c.destroy(); }
  });

  test('client Connection: close and HTTP/1.0 without keep-alive get a response, then the proxy closes', async () => {
    for (const req of [get('/bye', 'Connection: close\r\n'), 'GET /bye10 HTTP/1.0\r\nHost: app.test\r\n\r\n']) {
      const c = await open();
      try {
        c.send(req);
        const r = await c.read();
        assert.equal(r.status, 200);
        assert.match(r.body.toString(), /^\/bye/);
        await c.waitClosed();
      } finally { c.destroy(); }
    }
  });

  test('request target with a query string arrives unchanged; a 201 with a custom reason stays 201', async () => {
    const c = await open();
    try {
      c.send(get('/a/b?x=1&y=%20'));
      assert.equal((await c.read()).body.toString(), '/a/b?x=1&y=%20');
      c.send(get('/created'));
      const r = await c.read();
      // Only the code is pinned: today the upstream's reason phrase is replaced by node's default ("Created").
      assert.deepEqual([r.status, r.body.toString()], [201, 'made']);
    } finally { c.destroy(); }
  });

  test('a large response head (30 headers) arrives intact', async () => {
    const c = await open();
    try {
      c.send(get('/many-headers'));
      const r = await c.read();
      for (let i = 0; i < 30; i++) assert.equal(r.header(`x-h-${i}`), `v${i}-${'x'.repeat(100)}`);
    } finally { c.destroy(); }
  });

  test('upstream reset mid-body closes the client connection and the proxy serves the next request', async () => {
    const c = await open();
    try {
      c.send(get('/raw/reset'));
      const partial = await c.readHead();
      assert.equal(partial.status, 200);
      // Reset only once the client holds the head, so the reset is surely after the response began.
      raw.held.shift()!.resetAndDestroy();
      await c.waitClosed();
      assert.ok(c.buffered() < 100, 'client must not get a full 100-byte body');
    } finally { c.destroy(); }
    const n = await open();
    try {
      n.send(get('/next'));
      assert.equal((await n.read()).body.toString(), '/next');
    } finally { n.destroy(); }
  });

  test('a client leaving mid-request does not disturb others and in-flight goes back to 0', async () => {
    const inflight = (): number => proxy.stats().find((s) => s.service === 'web')!.revisions.v1!.inflight;
    const c = await open();
    c.send(get('/delay/leaver'));
    await waitFor(() => web.seen.some((q) => q.url === '/delay/leaver'), 'upstream to get the request');
    assert.equal(inflight(), 1);
    c.destroy();
    const o = await open();
    try {
      o.send(get('/other'));
      assert.equal((await o.read()).body.toString(), '/other');
    } finally { o.destroy(); }
    await waitFor(() => inflight() === 0, 'in-flight back to 0');
  });
});

function webHandler(url: string, method: string, body: Buffer, res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  if (url === '/echo-body') return void res.end(`${body.length} ${sha(body)}${body.length < 100 ? ` ${body}` : ''}`);
  if (url === '/chunked') {
    for (const p of ['part1-', 'part2-', 'part3-']) res.write(p);
    return void res.end('part4');
  }
  if (url === '/big') return void res.writeHead(200, { 'content-length': BIG.length }).end(BIG);
  if (url.startsWith('/status/')) return void res.writeHead(Number(url.slice(8))).end();
  if (url === '/head') return void res.writeHead(200, { 'content-length': '100' }).end(method === 'HEAD' ? undefined : 'x'.repeat(100));
  if (url === '/created') return void res.writeHead(201, 'Made It So', { 'content-length': 4 }).end('made');
  if (url === '/many-headers') {
    for (let i = 0; i < 30; i++) res.setHeader(`X-H-${i}`, `v${i}-${'x'.repeat(100)}`);
    return void res.end('many');
  }
  if (!url.startsWith('/delay/')) return void res.end(url);
  const t = setTimeout(() => { timers.delete(t); res.end(url); }, 300);
  timers.add(t);
  res.on('close', () => { clearTimeout(t); timers.delete(t); });
}

/** A byte-exact upstream: one request per connection, answers chosen by path. /raw/reset sockets are held for the test. */
async function startRawUpstream(): Promise<{ port: number; server: NetServer; held: Socket[] }> {
  const held: Socket[] = [];
  const server = createNetServer((s) => {
    s.on('error', () => s.destroy());
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1];
      head = '';
      if (path === '/raw/close-delimited') return void s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello');
      if (path === '/raw/reset') {
        held.push(s);
        return void s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      }
      s.write('HTTP/1.1 200 OK\r\nConnection: close, X-Hop-Only\r\nKeep-Alive: timeout=99\r\nX-Hop-Only: 1\r\n' +
        'X-MiXeD-Case: VaLuE-MiX\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\nContent-Length: 3\r\n\r\nhop');
      s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server, held };
}
