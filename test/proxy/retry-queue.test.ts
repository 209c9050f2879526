import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { UpstreamPool } from '../../src/proxy/http1/upstream-pool.ts';
import type { ResponseHandler, UpstreamRequest } from '../../src/proxy/http1/upstream-connection.ts';
import type { UpstreamError } from '../../src/proxy/http1/upstream-error.ts';
import { Sweeper } from '../../src/proxy/http1/sweeper.ts';
import { startUpstream, spawnUpstream, get, oneService } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

describe('retries and the wait queue', () => {
  const cleanups = cleanupsAfter(after);
  function track(p: Proxy): Proxy {
    cleanups.push(() => p.close());
    return p;
  }

  test('killing an instance under load yields zero client errors (GET and small PUT: idempotent, so retried)', async () => {
    const ups = await Promise.all(['a', 'b', 'c'].map((n) => spawnUpstream(n)));
    for (const u of ups) cleanups.push(() => u.kill());
    const proxy = track(createProxy({ eject5xx: 0 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: ups.map((u) => u.port) }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const workers = Array.from({ length: 8 }, async (_, i) => {
      while (!stop) {
        try {
          const put = i % 2 === 1;
          const r = await request(`${base}/x`, put ? { method: 'PUT', body: 'payload' } : {});
          const body = await r.body.text();
          if (r.statusCode === 200) ok++;
          else failures.push(`${r.statusCode} ${body}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    });
    await waitFor(() => ok > 200, 'load running', 20_000);
    await ups[0]!.kill();
    const after1 = ok;
    await waitFor(() => ok > after1 + 200, 'load after the first kill', 20_000);
    await ups[1]!.kill();
    const after2 = ok;
    await waitFor(() => ok > after2 + 200, 'load after the second kill', 20_000);
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    const inst = proxy.stats()[0]!.revisions.v1!.instances;
    assert.equal(inst['v1-0']!.healthy, false, 'the killed instance is ejected');
  });

  test('a request waits in the queue while no instance is ready and is served once one is', async () => {
    const a = await startUpstream('a');
    cleanups.push(() => a.close());
    const proxy = track(createProxy({ queueTimeoutMs: 10_000 }));
    const state = oneService([{ name: 'v1', weightBp: 10000, ports: [a.port] }]);
    (state.services[0]!.revisions[0]!.instances[0] as { ready?: boolean }).ready = false;
    await proxy.apply(state);
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    let settled = false;
    const pending = get(`${base}/`).then((r) => ((settled = true), r));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(settled, false, 'held, not failed');
    assert.equal(a.seen.length, 0);
    assert.equal(proxy.setReady('v1-0', true), true);
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'a');
  });

  test('503 with a clear body after queueTimeout when nothing becomes ready', async () => {
    const proxy = track(createProxy({ queueTimeoutMs: 300 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [] }]));
    const r = await get(`http://127.0.0.1:${proxy.addresses()[0]!.port}/`);
    assert.equal(r.status, 503);
    assert.match(r.body, /no ready instance for service "web" within 300 ms/);
    assert.equal(proxy.stats()[0]!.revisions.v1!.byClass.error, 1);
  });

  test('a refused connection is retried on another instance, even for a streamed POST (nothing past its kept first bytes was read yet)', async () => {
    const good = await startUpstream('good', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => res.end(String(n)));
    });
    cleanups.push(() => good.close());
    const dead = await spawnUpstream('dead');
    await dead.kill(); // its port now refuses connections
    // 0: streamed from its first byte; 1024: its first bytes are read before an instance is picked, the rest streamed.
    for (const retryBufferBytes of [0, 1024]) {
      const proxy = track(createProxy({ retryBufferBytes }));
      await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [dead.port, good.port] }]));
      const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
      for (let i = 0; i < 10; i++) {
        const r = await request(`${base}/`, { method: 'POST', body: 'x'.repeat(300_000) });
        assert.deepEqual([r.statusCode, await r.body.text()], [200, '300000'], `retryBufferBytes ${retryBufferBytes}`);
      }
    }
  });

  test('a reset before any response byte is retried (idempotent PUT), even on the only instance; after response bytes it never is', async () => {
    let n = 0;
    const flaky = await startUpstream('flaky', (req, res) => {
      n++;
      req.resume();
      if (req.url === '/reset' && n % 2 === 1) return void req.socket.destroy();
      if (req.url === '/partial') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('half');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.end('ok');
    });
    cleanups.push(() => flaky.close());
    const proxy = track(createProxy({ eject5xx: 0 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [flaky.port] }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    for (let i = 0; i < 5; i++) {
      const r = await request(`${base}/reset`, { method: 'PUT', body: 'small body' });
      assert.equal(r.statusCode, 200);
      assert.equal(await r.body.text(), 'ok');
    }
    n = 0;
    const partial = await request(`${base}/partial`);
    assert.equal(partial.statusCode, 200);
    await assert.rejects(partial.body.text());
    assert.equal(n, 1, 'the upstream saw the request once: no retry after response bytes');
  });

  test('a POST an instance read and then dropped unanswered is delivered once (502), not retried; PATCH too; PUT and DELETE are retried', async () => {
    const delivered: string[] = [];
    // Reads the whole request, then resets the connection without a byte of answer (like a crash after the write).
    const dropper = (req: import('node:http').IncomingMessage): void => {
      req.resume();
      req.on('end', () => { delivered.push(`${req.method} ${req.url}`); req.socket.destroy(); });
    };
    const a = await startUpstream('a', dropper);
    const b = await startUpstream('b', dropper);
    cleanups.push(() => a.close(), () => b.close());
    const proxy = track(createProxy({ eject5xx: 0 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [a.port, b.port] }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    for (const method of ['POST', 'PATCH'] as const) {
      const r = await request(`${base}/transfer`, { method, body: 'amount=100' });
      assert.equal(r.statusCode, 502, method);
      assert.match(await r.body.text(), /ECONNRESET/);
    }
    assert.deepEqual(delivered, ['POST /transfer', 'PATCH /transfer'], 'each non-idempotent request reached an instance exactly once');
    delivered.length = 0;
    for (const method of ['PUT', 'DELETE'] as const) {
      const r = await request(`${base}/item`, { method, body: 'x' });
      assert.equal(r.statusCode, 502);
      await r.body.text();
    }
    assert.deepEqual(delivered, ['PUT /item', 'PUT /item', 'PUT /item', 'DELETE /item', 'DELETE /item', 'DELETE /item'], 'idempotent ones are tried maxAttempts (3) times');
  });

  test('retry.nonIdempotent on the service opts POST into the retries (at the risk of running it twice)', async () => {
    let n = 0;
    const flaky = await startUpstream('flaky', (req, res) => {
      req.resume();
      req.on('end', () => (++n === 1 ? req.socket.destroy() : res.end(`done after ${n}`)));
    });
    cleanups.push(() => flaky.close());
    const proxy = track(createProxy({ eject5xx: 0 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [flaky.port] }], { retry: { nonIdempotent: true } }));
    const r = await request(`http://127.0.0.1:${proxy.addresses()[0]!.port}/transfer`, { method: 'POST', body: 'amount=100' });
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), 'done after 2', 'the instance got it twice: that is the risk the option takes');
  });

  test('a POST is still retried when nothing reached the instance (connection refused)', async () => {
    const seen: string[] = [];
    const good = await startUpstream('good', (req, res) => { seen.push(req.method!); req.resume(); req.on('end', () => res.end('ok')); });
    cleanups.push(() => good.close());
    const dead = await spawnUpstream('dead');
    await dead.kill();
    const proxy = track(createProxy());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [dead.port, good.port] }]));
    for (let i = 0; i < 6; i++) {
      const r = await request(`http://127.0.0.1:${proxy.addresses()[0]!.port}/`, { method: 'POST', body: 'once' });
      assert.equal(r.statusCode, 200, await r.body.text());
    }
    assert.equal(seen.length, 6);
  });

  test('a kept-alive connection the instance closed leaves the pool at its end; one found closed before the write fails as not sent (retryable for any method)', async () => {
    const up = await startUpstream('closer', (req, res) => {
      req.resume();
      res.end('ok', () => { if (req.url === '/then-close') setTimeout(() => req.socket.end(), 20); });
    });
    cleanups.push(() => up.close());
    const sweeper = new Sweeper(1_000);
    const pool = new UpstreamPool('127.0.0.1', up.port, { connections: 4, connectTimeoutMs: 1_000, sweeper });
    cleanups.push(async () => pool.destroy());
    type Internals = { idle: Array<{ socket: import('node:net').Socket }> };
    const idle = (): Internals['idle'] => (pool as unknown as Internals).idle;
    const req = (path: string): UpstreamRequest => ({ head: `POST ${path} HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\n\r\n`, body: Buffer.from('hi'), streaming: false, headRequest: false, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 });
    const send = (path: string): Promise<UpstreamError | 'ok'> => new Promise((resolve) => {
      const h: ResponseHandler = { onConnect() {}, onHeaders() {}, onData: () => true, onFlush() {}, onComplete: () => resolve('ok'), onError: (e) => resolve(e) };
      pool.dispatch(req(path), h);
    });

    assert.equal(await send('/then-close'), 'ok');
    assert.equal(idle().length, 1);
    // When the instance's FIN is read, the connection is out of the pool at once (not only at 'close', a turn later).
    const socket = idle()[0]!.socket;
    const atEnd = await new Promise<number>((r) => socket.once('end', () => r(idle().length)));
    assert.equal(atEnd, 0, 'an ended connection was still offered for the next request');

    // A connection found closed when a request is handed to it: nothing is written, and the error says so.
    assert.equal(await send('/keep'), 'ok');
    idle()[0]!.socket.end();
    const err = await send('/stale');
    assert.notEqual(err, 'ok');
    assert.equal((err as UpstreamError).code, 'UPSTREAM_STALE');
    assert.ok((err as UpstreamError).notSent);
    assert.deepEqual(up.seen.map((r) => r.url), ['/then-close', '/keep'], 'the stale request never reached the instance');
  });

  test('a full wait queue answers 503 at once', async () => {
    const proxy = track(createProxy({ queueTimeoutMs: 2000, maxQueue: 1 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [] }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    const first = get(`${base}/`);
    await new Promise((r) => setTimeout(r, 100)); // a head start, so the first usually takes the one place
    const second = get(`${base}/`);
    // Nothing shows when the first is queued, and a stalled machine can let the second arrive first: whichever
    // arrives second is refused at once, the other waits out queueTimeout.
    const bodies = (await Promise.all([first, second])).map((r) => {
      assert.equal(r.status, 503);
      return r.body;
    });
    assert.equal(bodies.filter((b) => /wait queue is full/.test(b)).length, 1, bodies.join(' | '));
    assert.equal(bodies.filter((b) => /no ready instance for service "web" within 2000 ms/.test(b)).length, 1, bodies.join(' | '));
  });
});
