import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeOnce } from '../../src/runtime/local/probe.ts';
import { waitFor } from '../helpers/wait.ts';

describe('probeOnce', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      const status = Number(req.url?.slice(1)) || 200;
      res.writeHead(status).end('x'.repeat(10_000));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const cases: Array<[string, boolean]> = [
    ['/200', true],
    ['/204', true],
    ['/299', true],
    ['/301', false],
    ['/404', false],
    ['/503', false],
  ];
  for (const [path, want] of cases) {
    test(`GET ${path} passes: ${want}`, async () => assert.equal(await probeOnce({ host: '127.0.0.1', port, path, timeoutMs: 2000 }), want));
  }

  test('a probe that gets no answer fails at its timeout', async () => {
    assert.equal(await probeOnce({ host: '127.0.0.1', port, path: '/hang', timeoutMs: 200 }), false);
  });

  test('probes leave no connection open, even against a keep-alive server', async () => {
    for (let i = 0; i < 30; i++) assert.equal(await probeOnce({ host: '127.0.0.1', port, path: '/200', timeoutMs: 2000 }), true);
    for (let i = 0; i < 10; i++) assert.equal(await probeOnce({ host: '127.0.0.1', port, timeoutMs: 2000 }), true);
    await probeOnce({ host: '127.0.0.1', port, path: '/hang', timeoutMs: 100 });
    const open = () => new Promise<number>((r) => server.getConnections((_, n) => r(n)));
    await waitFor(async () => (await open()) === 0, 'all probe connections closed', 5000);
  });

  test('a closed port fails both kinds of probe', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const closed = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    assert.equal(await probeOnce({ host: '127.0.0.1', port: closed, path: '/', timeoutMs: 1000 }), false);
    assert.equal(await probeOnce({ host: '127.0.0.1', port: closed, timeoutMs: 1000 }), false);
  });
});
