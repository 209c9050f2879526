// Adversarial review of the hand-written HTTP/1.1 path (src/proxy/http1/*):
// each test pins one real bug the review found (all fixed since), so none
// comes back.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { spawn } from 'node:child_process';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import { createProxy, type CreateProxyOptions, type Proxy } from '../../src/proxy/proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';


const cleanups = cleanupsAfter(after);

interface Setup { proxy: Proxy; port: number; upstream: Server; upPort: number }

/** A proxy with one service "web" (host-agnostic route) in front of one node:http upstream. */
async function setup(handler: (req: IncomingMessage, res: ServerResponse) => void, opts: CreateProxyOptions = {}): Promise<Setup> {
  const upstream = createServer(handler);
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
  const upPort = (upstream.address() as AddressInfo).port;
  const proxy = createProxy(opts);
  cleanups.push(() => withTimeout(proxy.close(500), 3_000).then(() => undefined, () => undefined));
  await proxy.apply({
    listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
    services: [{ name: 'web', revisions: [{ name: 'v1', weightBp: 10000, instances: [{ id: 'web-0', host: '127.0.0.1', port: upPort }] }] }],
  });
  return { proxy, port: proxy.addresses()[0]!.port, upstream, upPort };
}

/** A WebSocket upstream (ws on node:http), a proxy in front of it, and a client connected through the proxy. */
async function webSocketThroughProxy(wssOpts: ServerOptions, onConnection: (upstreamSide: WebSocket) => void): Promise<{ proxy: Proxy; ws: WebSocket }> {
  const upstream = createServer();
  const wss = new WebSocketServer({ ...wssOpts, server: upstream });
  wss.on('connection', onConnection);
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(); upstream.closeAllConnections(); upstream.close(() => r()); }));
  const proxy = createProxy();
  cleanups.push(() => withTimeout(proxy.close(300), 3_000).then(() => undefined));
  await proxy.apply({
    listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
    services: [{ name: 'web', revisions: [{ name: 'v1', weightBp: 10000, instances: [{ id: 'ws-0', host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }] }] }],
  });
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.addresses()[0]!.port}/ws`);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return { proxy, ws };
}

function inflight(p: Proxy): number {
  return p.stats()[0]!.revisions.v1!.inflight;
}

/** Resolves with the promise's value, or 'timeout' after `ms` (a bounded wait, not a timing assertion). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}

/** A raw client socket that records everything it receives. */
async function rawClient(port: number): Promise<{ socket: Socket; text: () => string; closed: () => boolean }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s)).once('error', reject);
  });
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  cleanups.push(() => { socket.destroy(); });
  return { socket, text: () => Buffer.concat(chunks).toString('latin1'), closed: () => closed };
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

const okHandler = (req: IncomingMessage, res: ServerResponse): void => {
  req.resume();
  req.on('end', () => res.end('ok'));
};

describe('HTTP/1.1 path: review findings', () => {
  test('a client that half-closes (FIN) right after its request still gets the response', async () => {
    const s = await setup(okHandler);
    const c = await rawClient(s.port);
    c.socket.end('GET /half HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => c.closed(), 'proxy to close the connection', 5_000);
    assert.match(c.text(), /^HTTP\/1\.1 200 /, `got ${JSON.stringify(c.text())}`);
    await waitFor(() => inflight(s.proxy) === 0, 'in-flight back to 0', 5_000);
  });

  test('more than 64 KB of pipelined requests are all answered when a head straddles the read that paused the socket', async () => {
    let first = true;
    const s = await setup((req, res) => {
      req.resume();
      // Hold the first answer so the rest pile up in the proxy's pipeline buffer (past 64 KB, which pauses the socket).
      if (first) {
        first = false;
        setTimeout(() => res.end('ok'), 300);
      } else res.end('ok');
    }, { headersTimeoutMs: 20_000 });
    const c = await rawClient(s.port);
    const n = 150;
    const pad = 'p'.repeat(950);
    let wire = '';
    for (let i = 0; i < n; i++) wire += `GET /r${i} HTTP/1.1\r\nHost: a\r\nX-Pad: ${pad}\r\n\r\n`;
    c.socket.write(wire);
    await waitFor(() => count(c.text(), 'HTTP/1.1 ') >= n || c.closed(), `${n} responses`, 8_000).catch(() => undefined);
    assert.equal(count(c.text(), 'HTTP/1.1 200 '), n, `got ${count(c.text(), 'HTTP/1.1 ')} responses, statuses ${[...new Set(c.text().match(/HTTP\/1\.1 \d+/g))]}`);
  });

  test('proxy.close() with an open WebSocket resolves and the client gets 1012', async () => {
    const { proxy, ws } = await webSocketThroughProxy({}, (up) => up.on('message', (m) => up.send(m)));
    const closeCode = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const closing = proxy.close(300);
    const result = await withTimeout(closing, 5_000);
    if (result === 'timeout') {
      ws.terminate(); // lets the hung close finish so the file still exits
      await withTimeout(closing, 5_000);
    }
    assert.notEqual(result, 'timeout', 'proxy.close() did not resolve while a WebSocket was open');
    assert.equal(await withTimeout(closeCode, 2_000), 1012);
  });

  test('a WebSocket client sending faster than its upstream reads is held back, not buffered in the proxy', async () => {
    const { ws } = await webSocketThroughProxy({ maxPayload: 8 * 1024 * 1024 }, (up) => up.pause()); // an instance that reads nothing
    const msg = Buffer.alloc(2 * 1024 * 1024, 0x62);
    for (let i = 0; i < 32; i++) ws.send(msg); // 64 MB
    // With backpressure the client keeps most of it queued; without, the proxy swallows all 64 MB.
    await waitFor(() => ws.bufferedAmount === 0, 'the client to flush everything', 4_000).catch(() => undefined);
    assert.ok(ws.bufferedAmount > 0, 'the proxy read 64 MB from the client while the upstream read nothing: it buffered them');
  });

  test('an HTTP/1.0 client that does not read makes the proxy stop reading a chunked upstream response (backpressure)', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let finished = false;
    const s = await setup((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: node:http sends it chunked
      const block = Buffer.alloc(256 * 1024, 0x61);
      const pump = (): void => {
        while (written < total) {
          written += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end(() => { finished = true; });
      };
      pump();
      res.on('close', () => { finished ||= written >= total && res.writableFinished; });
    });
    const c = await rawClient(s.port);
    c.socket.pause(); // a client that does not read
    c.socket.write('GET /big HTTP/1.0\r\nHost: a\r\n\r\n');
    // With backpressure the upstream stalls after a few MB of socket buffers; without it, it writes all 64 MB.
    await waitFor(() => finished, 'upstream to write everything', 4_000).catch(() => undefined);
    assert.ok(!finished && written < total, `the upstream wrote all ${written} bytes to a client that read none: the proxy buffered them`);
  });

  test('a request with two Host headers gets 400 (RFC 9112 §3.2) instead of being routed on one Host and forwarded with both', async () => {
    const hosts: Array<string | undefined> = [];
    const s = await setup((req, res) => { hosts.push(req.headers.host); okHandler(req, res); });
    const c = await rawClient(s.port);
    c.socket.write('GET /dup HTTP/1.1\r\nHost: internal.example\r\nHost: public.example\r\n\r\n');
    await waitFor(() => /\r\n\r\n/.test(c.text()), 'a response head', 5_000);
    assert.match(c.text(), /^HTTP\/1\.1 400 /, `got ${c.text().split('\r\n')[0]}; upstream saw host ${JSON.stringify(hosts)}`);
  });

  test('Connection: content-length cannot strip the framing header from the upstream request (request smuggling)', async () => {
    const seen: string[] = [];
    const s = await setup((req, res) => { seen.push(`${req.method} ${req.url}`); okHandler(req, res); });
    const c = await rawClient(s.port);
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
    c.socket.write(`POST /a HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    await waitFor(() => /\r\n\r\n/.test(c.text()), 'a response', 5_000);
    await waitFor(() => seen.length >= 2, 'a second upstream request', 1_000).catch(() => undefined);
    assert.deepEqual(seen, ['POST /a'], 'the body was parsed upstream as a request of its own');
  });

  test('a response the proxy follows by closing the connection (unread request body) says connection: close', async () => {
    const s = await setup((req, res) => {
      // Answers at once, without reading the upload (like an auth failure).
      res.writeHead(401, { 'content-length': '6' });
      res.end('denied');
    });
    const c = await rawClient(s.port);
    // More than the 64 KiB read before an instance is picked, so the request reaches the instance with most of its body unread.
    c.socket.write(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'x'.repeat(100_000)}`);
    await waitFor(() => c.closed(), 'the proxy to close the connection', 5_000);
    const head = c.text().split('\r\n\r\n')[0]!;
    assert.match(head, /^HTTP\/1\.1 401 /);
    assert.match(head, /\r\nconnection: close/i, `the proxy closed the connection after a head without connection: close:\n${head}`);
  });
});

describe('HTTP/1.1 path: upstream pool review findings', () => {
  test('active health checks still pass while every pooled connection carries a long response (SSE)', async () => {
    const streams = new Set<ServerResponse>();
    const upstream = createServer((req, res) => {
      req.resume();
      if (req.url === '/health') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
      streams.add(res);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const x of streams) x.destroy(); upstream.closeAllConnections(); upstream.close(() => r()); }));
    const proxy = createProxy({ connectionsPerInstance: 2 });
    cleanups.push(() => withTimeout(proxy.close(300), 3_000).then(() => undefined));
    await proxy.apply({
      listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
      services: [{
        name: 'web',
        healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 200, healthyThreshold: 1, unhealthyThreshold: 2 },
        revisions: [{ name: 'v1', weightBp: 10000, instances: [{ id: 'web-0', host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }] }],
      }],
    });
    const healthy = (): boolean => proxy.stats()[0]!.revisions.v1!.instances['web-0']!.healthy;
    const port = proxy.addresses()[0]!.port;
    for (let i = 0; i < 2; i++) {
      const c = await rawClient(port);
      c.socket.write(`GET /events${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
    }
    await waitFor(() => streams.size === 2, 'two open streams upstream', 5_000);
    await waitFor(() => !healthy(), 'the instance to be ejected', 2_000).catch(() => undefined);
    assert.ok(healthy(), 'a healthy instance whose connections are all busy was ejected by its own health check');
  });

  test('a request cut by a drain while its upstream connection is still connecting is never sent to the instance', async () => {
    // An instance whose accept queue is full (stopped process, backlog 1): the proxy's connect stays in SYN_SENT.
    const child = spawn(process.execPath, ['-e', `
      const s = require('node:http').createServer((q, r) => { console.log('REQ ' + q.method + ' ' + q.url); q.resume(); q.on('end', () => r.end('ok')); });
      s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log('PORT ' + s.address().port));`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    cleanups.push(() => { child.kill('SIGCONT'); child.kill('SIGKILL'); });
    const portMatch = await waitFor(() => /PORT (\d+)/.exec(out), 'child upstream port', 10_000);
    const upPort = Number(portMatch![1]);
    child.kill('SIGSTOP');
    for (let i = 0; i < 4; i++) {
      const f = connect(upPort, '127.0.0.1');
      f.on('error', () => undefined);
      cleanups.push(() => { f.destroy(); });
    }
    const proxy = createProxy({ connectTimeoutMs: 8_000 });
    cleanups.push(() => withTimeout(proxy.close(300), 3_000).then(() => undefined));
    await proxy.apply({
      listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
      services: [{ name: 'web', revisions: [{ name: 'v1', weightBp: 10000, instances: [{ id: 'web-0', host: '127.0.0.1', port: upPort }] }] }],
    });
    const c = await rawClient(proxy.addresses()[0]!.port);
    c.socket.write('POST /cut-me HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx');
    await waitFor(() => inflight(proxy) === 1, 'the request to be dispatched', 5_000);
    const result = await proxy.drain('web-0', 200);
    assert.equal(result.cut, 1);
    await waitFor(() => /\r\n\r\n/.test(c.text()), 'the 502', 5_000);
    assert.match(c.text(), /^HTTP\/1\.1 502 /);
    child.kill('SIGCONT'); // the accept queue empties; the proxy's SYN retransmit now gets through
    await waitFor(() => out.includes('REQ POST /cut-me'), 'the cut request to reach the instance', 6_000).catch(() => undefined);
    assert.ok(!out.includes('REQ POST /cut-me'), 'the instance received a request whose client was told it was cut (502)');
    assert.equal(inflight(proxy), 0);
  });

  test('proxy.close() resolves while a mirrored request still waits on a slow shadow instance', async () => {
    const live = await setup(okHandler);
    const held = new Set<ServerResponse>();
    const shadow = createServer((req, res) => { req.resume(); held.add(res); }); // never answers
    await new Promise<void>((r) => shadow.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { shadow.closeAllConnections(); shadow.close(() => r()); }));
    const proxy = createProxy();
    await proxy.apply({
      listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
      services: [{
        name: 'web',
        mirror: { revision: 'shadow', percent: 100 },
        revisions: [
          { name: 'v1', weightBp: 10000, instances: [{ id: 'live-0', host: '127.0.0.1', port: live.upPort }] },
          { name: 'shadow', weightBp: 0, instances: [{ id: 'shadow-0', host: '127.0.0.1', port: (shadow.address() as AddressInfo).port }] },
        ],
      }],
    });
    const c = await rawClient(proxy.addresses()[0]!.port);
    c.socket.write('GET /mirrored HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor(() => c.closed() && held.size === 1, 'the live answer and the mirrored request upstream', 5_000);
    assert.match(c.text(), /^HTTP\/1\.1 200 /);
    const closing = proxy.close(300);
    const result = await withTimeout(closing, 4_000);
    if (result === 'timeout') {
      shadow.closeAllConnections(); // lets the hung close finish so the file still exits
      await withTimeout(closing, 5_000);
    }
    assert.notEqual(result, 'timeout', 'proxy.close(300) did not resolve while a mirrored request was in flight');
  });

  test('a request waiting for a pooled connection (all busy with a long response) gets an answer in bounded time', async () => {
    const streams = new Set<ServerResponse>();
    const s = await setup((req, res) => {
      req.resume();
      if (req.url !== '/events') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
      streams.add(res);
    }, { connectionsPerInstance: 1, responseTimeoutMs: 300, queueTimeoutMs: 300 });
    cleanups.push(() => { for (const x of streams) x.destroy(); });
    const sse = await rawClient(s.port);
    sse.socket.write('GET /events HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => streams.size === 1, 'the stream to be open upstream', 5_000);
    const c = await rawClient(s.port);
    c.socket.write('GET /quick HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => /\r\n\r\n/.test(c.text()), 'an answer', 4_000).catch(() => undefined);
    assert.match(c.text(), /^HTTP\/1\.1 (200|503|504) /, 'no answer while the only pooled connection stayed busy');
  });

  test('transfer codings before chunked in a response are passed on, not reduced to chunked', async () => {
    let seenTe: string | undefined;
    const s = await setup((req, res) => {
      seenTe = req.headers['transfer-encoding'];
      req.resume();
      req.on('end', () => {
        // A raw head: node:http would add its own framing.
        res.socket!.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
        res.socket!.destroy();
      });
    });
    const c = await rawClient(s.port);
    c.socket.write('POST /te HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    const text = (await waitFor(() => (c.text().includes('0\r\n\r\n') ? c.text() : null), 'the response'))!;
    assert.equal(seenTe, 'chunked');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\ntransfer-encoding: gzip, chunked\r\n/i);
    // (A request with a coding before chunked is refused with 501: http1-edges.)
  });

  test('time the proxy holds an upload back for a slow instance does not count against requestTimeout', async () => {
    const size = 16 * 1024 * 1024;
    const s = await setup((req, res) => {
      req.pause(); // the instance takes its time: the proxy's write buffer fills and it stops reading the client
      setTimeout(() => {
        let n = 0;
        req.on('data', (c: Buffer) => { n += c.length; });
        req.on('end', () => res.end(String(n)));
        req.resume();
      }, 4_000);
      // requestTimeout well below the instance's hold-back but far above a loaded machine's scheduling stalls.
    }, { requestTimeoutMs: 1_500, headersTimeoutMs: 1_500, maxBodyBytes: 64 * 1024 * 1024 });
    const c = await rawClient(s.port);
    c.socket.write(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 120);
    for (let sent = 0; sent < size && !c.closed() && !c.socket.destroyed; sent += chunk.length) {
      // Stops at once if the proxy answers early and closes (the 408 this test guards against).
      if (!c.socket.write(chunk)) await new Promise((r) => { c.socket.once('drain', r); c.socket.once('close', r); });
    }
    const text = (await waitFor(() => (/\r\n\r\n\d+$/.test(c.text()) || c.closed() ? c.text() : null), 'the answer', 20_000))!;
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(text.endsWith(`\r\n\r\n${size}`), text.slice(0, 200));
  });
});
