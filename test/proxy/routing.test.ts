import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { startUpstream, get, nodeGet, oneService, type TestUpstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';

describe('routing', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let c: TestUpstream;
  let proxy: Proxy;
  let base: string;

  before(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    c = await startUpstream('c');
    proxy = createProxy();
  });
  after(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  async function apply(state: ReturnType<typeof oneService>): Promise<void> {
    await proxy.apply(state);
    base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
  }

  async function tally(n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => get(`${base}/`, headers)));
      for (const r of batch) {
        assert.equal(r.status, 200);
        counts[r.body] = (counts[r.body] ?? 0) + 1;
      }
    }
    return counts;
  }

  test('weighted split 80/20 holds within statistical tolerance over 3000 requests', async () => {
    await apply(oneService([{ name: 'v1', weightBp: 8000, ports: [a.port] }, { name: 'v2', weightBp: 2000, ports: [b.port] }, { name: 'v3', weightBp: 0, ports: [c.port] }]));
    const counts = await tally(3000);
    // 3000 draws at p=0.2: sd ≈ 22; ±110 is five standard deviations.
    assert.ok(Math.abs((counts.b ?? 0) - 600) < 110, `v2 got ${counts.b}`);
    assert.equal(counts.c ?? 0, 0, 'weight 0 gets no weighted traffic');
  });

  test('header rule and cookie rule pin a request to a revision, even one with weight 0', async () => {
    await apply(oneService([{ name: 'blue', weightBp: 10000, ports: [a.port] }, { name: 'green', weightBp: 0, ports: [b.port] }], {
      rules: [
        { revision: 'green', header: { name: 'x-cutover-preview', value: '1' } },
        { revision: 'green', cookie: { name: 'canary', value: 'yes' } },
      ],
    }));
    assert.deepEqual(await tally(50), { a: 50 });
    assert.deepEqual(await tally(50, { 'x-cutover-preview': '1' }), { b: 50 });
    assert.deepEqual(await tally(50, { cookie: 'foo=bar; canary=yes' }), { b: 50 });
    assert.deepEqual(await tally(20, { cookie: 'canary=no' }), { a: 20 });
  });

  test('sticky hash sends one user to one revision and splits users by weight', async () => {
    await apply(oneService([{ name: 'v1', weightBp: 5000, ports: [a.port] }, { name: 'v2', weightBp: 5000, ports: [b.port] }], { stickyBy: { header: 'x-user' } }));
    const perUser = new Map<string, Set<string>>();
    for (let u = 0; u < 200; u++) {
      const user = `user-${u}`;
      const seen = new Set<string>();
      for (let k = 0; k < 3; k++) seen.add((await get(`${base}/`, { 'x-user': user })).body);
      perUser.set(user, seen);
    }
    for (const [user, seen] of perUser) assert.equal(seen.size, 1, `${user} saw ${[...seen]}`);
    const onA = [...perUser.values()].filter((s) => s.has('a')).length;
    assert.ok(onA > 60 && onA < 140, `users on v1: ${onA}`);
  });

  test('host and longest path prefix choose the service; unknown paths get 404', async () => {
    await proxy.apply({
      listeners: [{ port: 0, host: '127.0.0.1', services: ['root', 'api', 'admin'] }],
      services: [
        { name: 'root', revisions: [{ name: 'r', weightBp: 10000, instances: [{ id: 'ra', host: '127.0.0.1', port: a.port }] }] },
        { name: 'api', pathPrefix: '/api', revisions: [{ name: 'r', weightBp: 10000, instances: [{ id: 'rb', host: '127.0.0.1', port: b.port }] }] },
        { name: 'admin', hosts: ['admin.test'], pathPrefix: '/api', revisions: [{ name: 'r', weightBp: 10000, instances: [{ id: 'rc', host: '127.0.0.1', port: c.port }] }] },
      ],
    });
    base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    assert.equal((await get(`${base}/`)).body, 'a');
    assert.equal((await get(`${base}/apix`)).body, 'a');
    assert.equal((await get(`${base}/api/users?x=1`)).body, 'b');
    assert.equal((await get(`${base}/api`, { host: 'admin.test' })).body, 'c');
    await proxy.apply({ listeners: [{ port: 0, host: '127.0.0.1', services: ['api'] }], services: [{ name: 'api', pathPrefix: '/api', revisions: [{ name: 'r', weightBp: 10000, instances: [] }] }] });
    base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    const r = await get(`${base}/other`);
    assert.equal(r.status, 404);
    assert.match(r.body, /no service/);
  });

  test('forwarding headers are set, X-Request-Id kept or generated, hop-by-hop stripped, revision header on demand', async () => {
    await apply(oneService([{ name: 'v7', weightBp: 10000, ports: [a.port] }], { revisionHeader: true }));
    a.seen.length = 0;
    const claimed = { 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'bank.test' };
    const r = await nodeGet(`${base}/h`, { 'x-request-id': 'abc-123', ...claimed, 'keep-alive': 'timeout=1', connection: 'keep-alive, x-hop', 'x-hop': 'drop me', te: 'trailers', 'x-custom': 'kept' });
    assert.equal(r.headers['x-cutover-revision'], 'v7');
    const seen = a.seen.at(-1)!.headers;
    assert.equal(seen['x-request-id'], 'abc-123');
    // A client's own X-Forwarded-* are not believed: replaced with what the listener saw.
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-host'], `127.0.0.1:${proxy.addresses()[0]!.port}`);
    assert.equal(seen['x-custom'], 'kept');
    assert.equal(seen['keep-alive'], undefined);
    assert.equal(seen.te, undefined);
    assert.equal(seen['x-hop'], undefined, 'headers named in Connection are hop-by-hop');
    await get(`${base}/h`);
    assert.match(String(a.seen.at(-1)!.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    await apply(oneService([{ name: 'v7', weightBp: 10000, ports: [a.port] }]));
    assert.equal((await get(`${base}/h`)).headers['x-cutover-revision'], undefined, 'off by default');
  });

  test('a listener behind a trusted proxy keeps the X-Forwarded-* it is sent (For gets the peer appended); set on the open listener', async () => {
    const st = oneService([{ name: 'v1', weightBp: 10000, ports: [a.port] }]);
    await apply(st);
    const port = proxy.addresses()[0]!.port;
    await apply({ ...st, listeners: st.listeners.map((l) => ({ ...l, trustForwarded: true })) });
    assert.equal(proxy.addresses()[0]!.port, port, 'the same socket: no rebind for this change');
    await nodeGet(`${base}/t`, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.test' });
    const seen = a.seen.at(-1)!.headers;
    assert.deepEqual([seen['x-forwarded-for'], seen['x-forwarded-proto'], seen['x-forwarded-host']], ['203.0.113.9, 127.0.0.1', 'https', 'shop.test']);
    await apply(st);
    await nodeGet(`${base}/t`, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
    assert.deepEqual([a.seen.at(-1)!.headers['x-forwarded-for'], a.seen.at(-1)!.headers['x-forwarded-proto']], ['127.0.0.1', 'http'], 'untrusted again');
  });

  test('mirror copies requests to a shadow revision without affecting the client', async () => {
    await apply(oneService([{ name: 'live', weightBp: 10000, ports: [a.port] }, { name: 'shadow', weightBp: 0, ports: [c.port] }], { mirror: { revision: 'shadow', percent: 100 } }));
    c.seen.length = 0;
    const counts = await tally(20);
    assert.deepEqual(counts, { a: 20 });
    await waitFor(() => c.seen.length >= 20, 'mirrored requests');
  });

  test('a port that cannot be bound rejects the whole table and keeps the old one serving', async () => {
    await apply(oneService([{ name: 'v1', weightBp: 10000, ports: [a.port] }]));
    const blocked = oneService([{ name: 'v2', weightBp: 10000, ports: [b.port] }]);
    blocked.listeners.push({ port: a.port, host: '127.0.0.1', services: ['web'] });
    await assert.rejects(proxy.apply(blocked), (e: unknown) => (e as { code?: string }).code === 'PROXY_LISTEN_FAILED');
    assert.equal((await get(`${base}/`)).body, 'a');
    assert.equal(proxy.routes().services[0]!.revisions[0]!.name, 'v1');
  });
});
