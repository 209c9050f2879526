import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { startUpstream, spawnUpstream, get, oneService } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

describe('retries and the wait queue', () => {
  const cleanups = cleanupsAfter(after);
  function track(p: Proxy): Proxy {
    cleanups.push(() => p.close());
    return p;
  }

  test('killing an instance under load yields zero client errors (GET and small POST)', async () => {
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
          const post = i % 2 === 1;
          const r = await request(`${base}/x`, post ? { method: 'POST', body: 'payload' } : {});
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

  test('a refused connection is retried on another instance, even for a streamed POST (nothing of its body was read yet)', async () => {
    const good = await startUpstream('good');
    cleanups.push(() => good.close());
    const dead = await spawnUpstream('dead');
    await dead.kill(); // its port now refuses connections
    const proxy = track(createProxy({ retryBufferBytes: 16 }));
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [dead.port, good.port] }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    for (let i = 0; i < 10; i++) {
      const r = await request(`${base}/`, { method: 'POST', body: 'x'.repeat(1000) });
      assert.equal(r.statusCode, 200, await r.body.text());
    }
  });

  test('a reset before any response byte is retried, even on the only instance; after response bytes it never is', async () => {
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
      const r = await request(`${base}/reset`, { method: 'POST', body: 'small body' });
      assert.equal(r.statusCode, 200);
      assert.equal(await r.body.text(), 'ok');
    }
    n = 0;
    const partial = await request(`${base}/partial`);
    assert.equal(partial.statusCode, 200);
    await assert.rejects(partial.body.text());
    assert.equal(n, 1, 'the upstream saw the request once: no retry after response bytes');
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
