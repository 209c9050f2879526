import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'undici';
import { createProxy } from '../../src/proxy/proxy.ts';
import { startUpstream, get, oneService, type TestUpstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

describe('atomic swap and drain', () => {
  const cleanups = cleanupsAfter(after);
  async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream> {
    const u = await startUpstream(name, handler);
    cleanups.push(() => u.close());
    return u;
  }

  test('swapping tables under concurrent load: every response comes from the old or new set, none fails', async () => {
    const [a, b, c] = await Promise.all([upstream('a'), upstream('b'), upstream('c')]);
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    const oldT = oneService([{ name: 'v1', weightBp: 10000, ports: [a.port] }]);
    const newT = oneService([{ name: 'v2', weightBp: 10000, ports: [b.port, c.port] }]);
    await proxy.apply(oldT);
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    let stop = false;
    const results: string[] = [];
    const failures: string[] = [];
    const workers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          const r = await get(`${base}/`);
          if (r.status === 200) results.push(r.body);
          else failures.push(`${r.status} ${r.body}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    });
    for (let i = 0; i < 30; i++) {
      await proxy.apply(i % 2 === 0 ? newT : oldT);
      await new Promise((r) => setTimeout(r, 30));
    }
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    assert.ok(results.length > 40, `only ${results.length} requests`);
    assert.ok(results.every((r) => r === 'a' || r === 'b' || r === 'c'));
    assert.ok(results.includes('a') && results.includes('b') && results.includes('c'));
  });

  test('a long request completes while its instance is removed and drained; the client connection stays usable', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const slow = await upstream('slow', (req, res) => {
      req.resume();
      if (req.url === '/long') void released.then(() => res.end('long-done'));
      else res.end('slow');
    });
    const other = await upstream('other');
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [slow.port] }]));
    const port = proxy.addresses()[0]!.port;
    const client = new Client(`http://127.0.0.1:${port}`, { pipelining: 1 });
    cleanups.push(() => client.close());

    const long = client.request({ path: '/long', method: 'GET' }).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
    await waitFor(() => slow.seen.some((r) => r.url === '/long'), 'long request at the upstream');
    await proxy.apply(oneService([{ name: 'v2', weightBp: 10000, ports: [other.port] }]));
    let drainDone = false;
    const drain = proxy.drain('v1-0', 10_000).then((d) => ((drainDone = true), d));
    // New requests go to the new instance at once, while the old one still works on /long.
    assert.equal((await get(`http://127.0.0.1:${port}/`)).body, 'other');
    assert.equal(drainDone, false);
    assert.equal(proxy.stats()[0]!.revisions.v2!.inflight, 0);
    release();
    assert.deepEqual(await long, { status: 200, body: 'long-done' });
    assert.deepEqual(await drain, { drained: true, cut: 0 });
    // Same single client connection: still open and served by the new revision.
    const again = await client.request({ path: '/', method: 'GET' });
    assert.equal(await again.body.text(), 'other');
  });

  test('drain timeout cuts what is left and reports it', async () => {
    const stuck = await upstream('stuck', (req) => req.resume()); // never answers
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [stuck.port] }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    const pending = get(`${base}/`).catch((err: unknown) => ({ status: -1, body: String(err) }));
    await waitFor(() => stuck.seen.length === 1, 'request at the upstream');
    const result = await proxy.drain('v1-0', 200);
    assert.deepEqual(result, { drained: false, cut: 1 });
    const r = await pending;
    assert.equal(r.status, 502);
  });

  test('drain of an unknown or idle instance resolves at once', async () => {
    const a = await upstream('idle');
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [a.port] }]));
    assert.deepEqual(await proxy.drain('nope', 1000), { drained: true, cut: 0 });
    assert.deepEqual(await proxy.drain('v1-0', 1000), { drained: true, cut: 0 });
  });

  test('shutdown drains for the services\' drainTimeoutMs: a request within it completes, one past it is cut', async () => {
    const slow = await upstream('slow', (req, res) => {
      const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms'));
      setTimeout(() => res.end('done'), ms);
    });
    const outcome = async (drainTimeoutMs: number, requestMs: number): Promise<string> => {
      const proxy = createProxy();
      cleanups.push(() => proxy.close(0));
      await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [slow.port] }], { drainTimeoutMs }));
      const answer = get(`http://127.0.0.1:${proxy.addresses()[0]!.port}/?ms=${requestMs}`).then((r) => `${r.status} ${r.body}`, (err: Error) => `failed: ${err.message}`);
      await waitFor(() => proxy.stats()[0]?.revisions.v1?.inflight === 1, 'the request in flight');
      await proxy.close(); // no timeout given: the table's drainTimeoutMs decides
      return answer;
    };
    assert.equal(await outcome(5_000, 300), '200 done', 'finished within the service\'s drainTimeout');
    assert.notEqual(await outcome(100, 3_000), '200 done', 'cut once the service\'s drainTimeout passed');
  });
});

