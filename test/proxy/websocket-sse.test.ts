import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { request } from 'undici';
import { createProxy } from '../../src/proxy/proxy.ts';
import { startUpstream, oneService } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

describe('WebSocket and streaming', () => {
  const cleanups = cleanupsAfter(after);

  async function wsUpstream(): Promise<number> {
    const server = createServer();
    const wss = new WebSocketServer({ server, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) });
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.headers['x-forwarded-for']}`);
      ws.on('message', (m, isBinary) => ws.send(isBinary ? m : `echo ${m.toString()}`, { binary: isBinary }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(); server.close(() => r()); }));
    return (server.address() as AddressInfo).port;
  }

  test('WebSocket messages pass both ways and the subprotocol is negotiated with the upstream', async () => {
    const port = await wsUpstream();
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [port] }]));
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.addresses()[0]!.port}/socket`, ['chat']);
    cleanups.push(() => ws.terminate());
    const got: string[] = [];
    ws.on('message', (m) => got.push(m.toString()));
    await new Promise((r) => ws.once('open', r));
    assert.equal(ws.protocol, 'chat');
    ws.send('ping');
    await waitFor(() => got.length >= 2, 'two messages');
    assert.deepEqual(got, ['hello 127.0.0.1', 'echo ping']);
  });

  test('on drain an open WebSocket stays until the drain timeout, then is closed with 1012', async () => {
    const port = await wsUpstream();
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [port] }]));
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.addresses()[0]!.port}/`);
    cleanups.push(() => ws.terminate());
    const got: string[] = [];
    ws.on('message', (m) => got.push(m.toString()));
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const drain = proxy.drain('v1-0', 300);
    // Still usable during the drain window.
    ws.send('during drain');
    await waitFor(() => got.includes('echo during drain'), 'echo during drain');
    assert.deepEqual(await drain, { drained: false, cut: 1 });
    assert.equal(await closed, 1012);
  });

  test('SSE is streamed: the client gets the first event before the upstream sends the second', async () => {
    let sendSecond!: () => void;
    const second = new Promise<void>((r) => (sendSecond = r));
    const up = await startUpstream('sse', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      void second.then(() => res.end('data: second\n\n'));
    });
    cleanups.push(() => up.close());
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]));
    const res = await request(`http://127.0.0.1:${proxy.addresses()[0]!.port}/events`);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const it = res.body[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(Buffer.from(first.value as Buffer).toString(), 'data: first\n\n');
    sendSecond();
    let rest = '';
    for (let n = await it.next(); !n.done; n = await it.next()) rest += Buffer.from(n.value as Buffer).toString();
    assert.equal(rest, 'data: second\n\n');
  });

  test('a client that leaves an endless stream releases the in-flight slot', async () => {
    const up = await startUpstream('endless', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const t = setInterval(() => res.write('data: tick\n\n'), 20);
      res.on('close', () => clearInterval(t));
    });
    cleanups.push(() => up.close());
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]));
    const ac = new AbortController();
    const res = await request(`http://127.0.0.1:${proxy.addresses()[0]!.port}/`, { signal: ac.signal });
    await res.body[Symbol.asyncIterator]().next();
    assert.equal(proxy.stats()[0]!.revisions.v1!.inflight, 1);
    ac.abort();
    await waitFor(() => proxy.stats()[0]!.revisions.v1!.inflight === 0, 'in-flight back to 0');
    assert.deepEqual(await proxy.drain('v1-0', 1000), { drained: true, cut: 0 });
  });

  test('upgrades without a route, without a ready instance, or refused upstream get a plain HTTP answer', async () => {
    const plain = await startUpstream('plain'); // answers 200 to the upgrade request: not a WebSocket server
    cleanups.push(() => plain.close());
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [plain.port] }], { pathPrefix: '/ws' });
    await proxy.apply(state);
    const port = proxy.addresses()[0]!.port;
    const status = (path: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('error', () => resolve(-1));
      });
    assert.equal(await status('/elsewhere'), 404);
    assert.equal(await status('/ws'), 200, 'the upstream refused the upgrade with its own status');
    proxy.setReady('v1-0', false);
    assert.equal(await status('/ws'), 503);
  });
});
