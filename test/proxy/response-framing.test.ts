// What the client receives is framed exactly as it says: the proxy's own
// answers declare the length they send, an instance's duplicate Content-Length
// goes on as one line, and an HTTP/1.0 client never gets a body still in a
// coding it was not told about. Each test pins a bug a review found (fixed).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { waitFor } from '../helpers/upstream.ts';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A raw TCP upstream answering each request head with `answer(head)`, and a proxy in front of it (service "web"). */
async function setup(answer: (socket: Socket, head: string) => void, svcExtra: Record<string, unknown> = {}): Promise<{ proxy: Proxy; port: number }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        answer(sock, head);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  const proxy = createProxy();
  cleanups.push(() => proxy.close(500));
  await proxy.apply({
    listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
    services: [{ name: 'web', ...svcExtra, revisions: [{ name: 'v1', weight: 10000, instances: [{ id: 'web-0', host: '127.0.0.1', port: (server.address() as AddressInfo).port }] }] }],
  });
  return { proxy, port: proxy.addresses()[0]!.port };
}

async function rawClient(port: number): Promise<{ socket: Socket; bytes: () => Buffer; closed: () => boolean }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s)).once('error', reject);
  });
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  cleanups.push(() => { socket.destroy(); });
  return { socket, bytes: () => Buffer.concat(chunks), closed: () => closed };
}

describe('response framing', () => {
  test('a proxy answer (404) whose message holds non-ASCII bytes from the request declares the Content-Length it sends', async () => {
    const s = await setup((sock) => { sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); }, { hosts: ['a.test'] });
    const c = await rawClient(s.port);
    // Host "bé.test" (one latin1 byte 0xE9) routes nowhere: 404 from the proxy, keep-alive; the next request is pipelined behind it.
    c.socket.write(Buffer.from('GET /\xe9 HTTP/1.1\r\nHost: b\xe9.test\r\n\r\nGET / HTTP/1.1\r\nHost: a.test\r\n\r\n', 'latin1'));
    await waitFor(() => c.bytes().toString('latin1').endsWith('\r\n\r\nok') || c.closed(), 'both responses', 5_000);
    const all = c.bytes();
    const headEnd = all.indexOf('\r\n\r\n');
    const head = all.toString('latin1', 0, headEnd);
    assert.match(head, /^HTTP\/1\.1 404 /);
    const declared = Number(/content-length: (\d+)/i.exec(head)![1]);
    const next = all.toString('latin1', headEnd + 4 + declared, headEnd + 4 + declared + 9);
    // Framed by its own Content-Length, the 404 must end exactly where the next response starts.
    assert.equal(next, 'HTTP/1.1 ', `404 declares ${declared} body bytes; after them comes ${JSON.stringify(next)}; wire: ${JSON.stringify(all.toString('latin1'))}`);
  });

  test('duplicate Content-Length lines from an instance reach the client as one (RFC 9110 §8.6), or the response is refused', async () => {
    const s = await setup((sock) => { sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 02\r\n\r\nok'); });
    const c = await rawClient(s.port);
    c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => c.bytes().includes('\r\n\r\n') || c.closed(), 'a response head', 5_000);
    const text = c.bytes().toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    if (/^HTTP\/1\.1 502 /.test(head)) return;
    assert.equal((head.match(/^content-length:/gim) ?? []).length, 1, `head: ${JSON.stringify(head)}`);
  });

  test('an HTTP/1.0 client is not handed a body still in a transfer coding it was not told about ("gzip, chunked")', async () => {
    const s = await setup((sock) => {
      sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\n\x1f\x8b\x08\x00\r\n0\r\n\r\n');
    });
    const c = await rawClient(s.port);
    c.socket.write('GET / HTTP/1.0\r\nHost: a\r\n\r\n');
    await waitFor(() => c.closed(), 'the proxy to close (HTTP/1.0)', 5_000);
    const text = c.bytes().toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    // Either refused (502), or the client is told about the gzip coding somehow.
    assert.ok(/^HTTP\/1\.1 502 /.test(head) || /gzip/i.test(head), `head: ${JSON.stringify(head)}`);
  });
});
