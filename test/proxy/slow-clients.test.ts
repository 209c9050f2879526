// Clients that are slow or hostile on purpose (issue #10): pipelined requests
// sent without reading the answers, uploads that stall or trickle, downloads
// nobody reads, and many connections or requests from one address. None of
// them may hold memory without bound or hold the instance's connections
// hostage from other clients.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createProxy, type CreateProxyOptions, type Proxy } from '../../src/proxy/proxy.ts';
import { oneService, startUpstream, type Handler, type TestUpstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { RawClient } from '../helpers/raw-http.ts';

const cleanups = cleanupsAfter(after);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A proxy with one service in front of one node:http upstream that counts the TCP connections it accepted. */
async function setup(handler: Handler, opts: CreateProxyOptions = {}): Promise<{ proxy: Proxy; port: number; up: TestUpstream; upConnections: () => number }> {
  const up = await startUpstream('up', handler);
  let accepted = 0;
  up.server.on('connection', () => accepted++);
  const proxy = createProxy(opts);
  cleanups.push(() => up.close(), () => proxy.close(500));
  await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]));
  return { proxy, port: proxy.addresses()[0]!.port, up, upConnections: () => accepted };
}

/** A client socket that never reads what it is sent. */
function deafClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.pause();
      resolve(s);
    });
    s.once('error', reject);
    cleanups.push(() => { s.destroy(); });
  });
}

/** A GET on a fresh connection from `localAddress`: status and how long it took, or 'timeout' after `ms`. */
async function timedGet(port: number, path: string, ms: number, localAddress?: string): Promise<{ status: number | 'timeout'; ms: number }> {
  const c = await RawClient.connect(port, localAddress);
  const t0 = performance.now();
  try {
    c.send(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
    const r = await Promise.race([c.read(), sleep(ms).then(() => 'timeout' as const)]);
    return { status: r === 'timeout' ? r : r.status, ms: performance.now() - t0 };
  } finally {
    c.destroy();
  }
}

const kb: Handler = (req, res) => {
  req.resume();
  const n = Number(new URL(req.url!, 'http://x').searchParams.get('n') ?? '1');
  res.end(Buffer.alloc(n * 1024, 0x61));
};

describe('slow and hostile clients (issue #10)', () => {
  test('20,000 pipelined requests from a client that reads nothing: only what it can take is forwarded; memory stays bounded and returns', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = await setup(kb, { headersTimeoutMs: 30_000, keepAliveTimeoutMs: 30_000 });
    gc();
    const before = process.memoryUsage();
    const c = await deafClient(s.port);
    const one = 'GET /kb?n=15 HTTP/1.1\r\nHost: t\r\n\r\n';
    c.write(one.repeat(20_000)); // 680 KB, each answer 15 KB: 300 MB if the proxy answered them all into memory
    // Until the forwarding stops (it never does before all 20,000 if nothing holds it back).
    let last = -1;
    for (let i = 0; i < 40 && s.up.seen.length !== last; i++) {
      last = s.up.seen.length;
      await sleep(250);
    }
    const during = process.memoryUsage();
    const grew = (during.rss - before.rss) / 2 ** 20;
    assert.ok(s.up.seen.length < 2_000, `${s.up.seen.length} of 20,000 requests were forwarded to a client that read none of the answers`);
    assert.ok(grew < 100, `RSS grew by ${grew.toFixed(0)} MiB`);
    c.destroy();
    await sleep(200);
    gc();
    const left = (process.memoryUsage().arrayBuffers - before.arrayBuffers) / 2 ** 20;
    assert.ok(left < 20, `${left.toFixed(0)} MiB of buffers still held after the client left`);
  });

  test('a client that reads its pipelined answers slowly gets every one of them, in order', async () => {
    const s = await setup(kb);
    const c = await deafClient(s.port);
    const n = 300;
    let wire = '';
    for (let i = 0; i < n; i++) wire += `GET /kb?n=15&i=${i} HTTP/1.1\r\nHost: t\r\n\r\n`;
    c.write(wire);
    await sleep(300);
    let got = Buffer.alloc(0);
    c.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
    c.resume();
    await waitFor(() => got.toString('latin1').split('HTTP/1.1 200 ').length - 1 === n, `${n} answers`, 20_000);
    assert.equal(s.up.seen.map((r) => r.url).join(), Array.from({ length: n }, (_, i) => `/kb?n=15&i=${i}`).join());
  });

  test('a GET is served in well under a second while 2,000 stalled uploads are open; none of them holds a connection to the instance', async () => {
    // No per-address limit here: every upload comes from 127.0.0.1, like the GET, so only the buffering protects it.
    const s = await setup(kb, { maxConnectionsPerClient: 0, maxRequestsPerClient: 0, headersTimeoutMs: 30_000, requestTimeoutMs: 60_000, minBodyRate: 0 });
    const stalled: RawClient[] = [];
    for (let i = 0; i < 2_000; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(s.port)));
      for (const c of batch) {
        c.send('POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n');
        stalled.push(c);
      }
    }
    cleanups.push(() => { for (const c of stalled) c.destroy(); });
    await sleep(300);
    const r = await timedGet(s.port, '/kb?n=1', 3_000);
    assert.equal(r.status, 200, `the GET got ${r.status} after ${r.ms.toFixed(0)} ms`);
    assert.ok(r.ms < 1_000, `the GET took ${r.ms.toFixed(0)} ms`);
    assert.ok(stalled.every((c) => !c.closed), 'the stalled uploads are still open');
    assert.ok(s.upConnections() <= 2, `the instance accepted ${s.upConnections()} connections`);
  });

  test('an upload of more than retryBufferBytes takes an instance connection only once its first bytes are in', async () => {
    const s = await setup((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => { n += d.length; });
      req.on('end', () => res.end(String(n)));
    }, { retryBufferBytes: 1024 });
    const c = await RawClient.connect(s.port);
    try {
      c.send('POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n');
      c.send('x'.repeat(1000));
      await sleep(200);
      assert.equal(s.upConnections(), 0, 'a connection was taken with 1000 of 5000 bytes in');
      c.send('x'.repeat(4000));
      const r = await c.read();
      assert.deepEqual([r.status, r.body.toString()], [200, '5000']);
    } finally { c.destroy(); }
  });

  test('an upload trickling below minBodyRate is cut with 408, and the next client is served', async () => {
    const s = await setup(kb, { minBodyRate: 1000, headersTimeoutMs: 300, requestTimeoutMs: 60_000 });
    const c = await RawClient.connect(s.port);
    try {
      c.send('POST /trickle HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n');
      const t0 = performance.now();
      let open = true;
      const drip = (async () => {
        while (open && !c.closed) {
          c.send('x'.repeat(20)); // 200 bytes/s
          await sleep(100);
        }
      })();
      const r = await c.read();
      open = false;
      await drip;
      assert.equal(r.status, 408);
      assert.match(r.body.toString(), /slower than 1000 bytes\/s/);
      assert.ok(performance.now() - t0 < 5_000);
    } finally { c.destroy(); }
    assert.equal((await timedGet(s.port, '/kb', 2_000)).status, 200);
  });

  test('a client that stops reading a download is disconnected after sendTimeout, and the instance connection is freed', async () => {
    let aborted = false;
    const s = await setup((req, res) => {
      req.resume();
      res.on('close', () => { aborted = !res.writableFinished; });
      const block = Buffer.alloc(256 * 1024, 0x62);
      const pump = (): void => {
        while (res.write(block));
        res.once('drain', pump);
      };
      pump();
    }, { sendTimeoutMs: 300 });
    const c = await deafClient(s.port);
    c.write('GET /endless HTTP/1.1\r\nHost: t\r\n\r\n');
    await waitFor(() => aborted, 'the proxy to drop the upstream response', 5_000);
    await waitFor(() => s.proxy.stats()[0]!.revisions.v1!.inflight === 0, 'in-flight back to 0', 2_000);
    let closed = false;
    c.once('close', () => { closed = true; });
    c.on('data', () => undefined);
    c.resume(); // what was sent before is still there to read, then the end
    await waitFor(() => closed, 'the client connection to be closed', 5_000);
  });

  test('connections from one address past maxConnectionsPerClient get 429 and close; another address is served', async () => {
    const s = await setup(kb, { maxConnectionsPerClient: 3 });
    const held = await Promise.all([0, 1, 2].map(() => RawClient.connect(s.port)));
    cleanups.push(() => { for (const c of held) c.destroy(); });
    const extra = await RawClient.connect(s.port);
    try {
      const r = await extra.read();
      assert.equal(r.status, 429);
      await extra.waitClosed();
    } finally { extra.destroy(); }
    assert.equal((await timedGet(s.port, '/kb', 2_000, '127.0.0.2')).status, 200);
    held[0]!.destroy();
    await sleep(100);
    assert.equal((await timedGet(s.port, '/kb', 2_000)).status, 200, 'a freed place is usable again');
  });

  test('requests in progress from one address past maxRequestsPerClient get 429; another address is served', async () => {
    const waiting: Array<() => void> = [];
    const s = await setup((req, res) => {
      req.resume();
      if (req.url === '/hold') waiting.push(() => res.end('released'));
      else res.end('quick');
    }, { maxRequestsPerClient: 2 });
    cleanups.push(() => { for (const w of waiting) w(); });
    const held = await Promise.all([0, 1].map(() => RawClient.connect(s.port)));
    cleanups.push(() => { for (const c of held) c.destroy(); });
    for (const c of held) c.send('GET /hold HTTP/1.1\r\nHost: t\r\n\r\n');
    await waitFor(() => waiting.length === 2, 'two requests held upstream');
    assert.equal((await timedGet(s.port, '/quick', 2_000)).status, 429);
    assert.equal((await timedGet(s.port, '/quick', 2_000, '127.0.0.2')).status, 200);
    for (const w of waiting.splice(0)) w();
    for (const c of held) assert.equal((await c.read()).status, 200);
    assert.equal((await timedGet(s.port, '/quick', 2_000)).status, 200, 'finished requests free their places');
  });

  test('a listener behind a trusted proxy (trustForwarded) applies no per-address limits: its peers are that proxy', async () => {
    const s = await setup(kb, { maxConnectionsPerClient: 1, maxRequestsPerClient: 1 });
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [s.up.port] }]);
    await s.proxy.apply({ ...state, listeners: [{ ...state.listeners[0]!, trustForwarded: true }] });
    const held = await Promise.all([0, 1, 2].map(() => RawClient.connect(s.port)));
    cleanups.push(() => { for (const c of held) c.destroy(); });
    for (const c of held) c.send('GET /kb HTTP/1.1\r\nHost: t\r\n\r\n');
    for (const c of held) assert.equal((await c.read()).status, 200);
  });
});
