// A/B experiments in the real proxy: sticky assignment by user key, generated ids, per-variant counts and goals.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { startUpstream, oneService, type TestUpstream } from '../helpers/upstream.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { freePort } from '../helpers/engine.ts';

describe('experiments in the proxy', () => {
  const cleanups = cleanupsAfter(after);
  let a: TestUpstream;
  let b: TestUpstream;
  before(async () => {
    a = await startUpstream('a', (req, res) => {
      req.resume();
      req.on('end', () => res.end(req.url === '/fail' ? (res.statusCode = 500, 'a') : 'a'));
    });
    b = await startUpstream('b');
    cleanups.push(() => a.close(), () => b.close());
  });

  async function proxyWith(stickyBy: { cookie?: string; header?: string }, splitBp = 5000): Promise<{ proxy: Proxy; base: string }> {
    // Batches of 200 requests at once from one address: more than maxRequestsPerClient (128) allows.
    const proxy = createProxy({ maxRequestsPerClient: 0 });
    cleanups.push(() => proxy.close(0));
    const goals = [{ name: 'checkout', method: 'POST', path: '/api/checkout', status: '2xx' as const }, { name: 'browse', path: '/shop/*', status: 200 }];
    await proxy.apply(oneService([{ name: '1', weightBp: 10000 - splitBp, ports: [a.port] }, { name: '2', weightBp: splitBp, ports: [b.port] }], { experiment: { variants: { '1': 'a', '2': 'b' }, stickyBy, goals } }));
    return { proxy, base: `http://127.0.0.1:${proxy.addresses()[0]!.port}` };
  }
  async function send(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<{ body: string; setCookie: string | undefined }> {
    const r = await request(`${base}${path}`, { method, headers });
    const setCookie = r.headers['set-cookie'];
    return { body: await r.body.text(), setCookie: Array.isArray(setCookie) ? setCookie[0] : setCookie };
  }
  const counts = (proxy: Proxy) => proxy.stats().find((s) => s.service === 'web')!.experiment!.variants;

  test('10,000 users split within tolerance and each keeps one variant on every request', async () => {
    const { base } = await proxyWith({ header: 'x-user' }, 3000);
    const first = new Map<string, string>();
    for (let i = 0; i < 10_000; i += 200) {
      const batch = await Promise.all(Array.from({ length: 200 }, (_, k) => send(base, '/', { 'x-user': `user-${i + k}` })));
      batch.forEach((r, k) => first.set(`user-${i + k}`, r.body));
    }
    const onB = [...first.values()].filter((v) => v === 'b').length;
    // 30 % of 10,000: sd = sqrt(10000 * 0.3 * 0.7) = 46; 6 sd either way fails once in ~5e8 runs.
    assert.ok(Math.abs(onB - 3000) < 280, `${onB} users on b`);
    for (let i = 0; i < 2000; i += 200) {
      const again = await Promise.all(Array.from({ length: 200 }, (_, k) => send(base, '/other', { 'x-user': `user-${i * 5 + k}` })));
      again.forEach((r, k) => assert.equal(r.body, first.get(`user-${i * 5 + k}`), `user-${i * 5 + k} switched variant`));
    }
  });

  test('a new user in cookie mode gets a generated id in the cookie, and keeps the variant with it', async () => {
    const { base } = await proxyWith({ cookie: 'uid' });
    const firstVisit = await send(base, '/', {});
    assert.match(firstVisit.setCookie ?? '', /^uid=[0-9a-f-]{36}; Path=\/; Max-Age=31536000; SameSite=Lax$/);
    const cookie = firstVisit.setCookie!.split(';')[0]!;
    for (let i = 0; i < 20; i++) {
      const r = await send(base, '/', { cookie: `other=1; ${cookie}` });
      assert.equal(r.body, firstVisit.body);
      assert.equal(r.setCookie, undefined, 'a known user is not given a new id');
    }
  });

  test('users, requests, errors and goal conversions are counted per variant, conversions per unique user', async () => {
    const { proxy, base } = await proxyWith({ header: 'x-user' });
    // Find users on each variant, then have them act.
    const variantOf = new Map<string, string>();
    for (let i = 0; variantOf.size < 40; i++) variantOf.set(`u${i}`, (await send(base, '/', { 'x-user': `u${i}` })).body);
    const users = [...variantOf.keys()];
    const onA = users.filter((u) => variantOf.get(u) === 'a');
    const onB = users.filter((u) => variantOf.get(u) === 'b');
    assert.ok(onA.length >= 5 && onB.length >= 5, `${onA.length} on a, ${onB.length} on b`);
    // Two users of a convert (one of them twice), three of b; a GET to the checkout path is not the goal (POST only).
    for (const u of [onA[0]!, onA[0]!, onA[1]!, onB[0]!, onB[1]!, onB[2]!]) await send(base, '/api/checkout', { 'x-user': u }, 'POST');
    await send(base, '/api/checkout', { 'x-user': onA[3]! });
    await send(base, '/shop/shoes?color=red', { 'x-user': onB[3]! });
    await send(base, '/fail', { 'x-user': onA[4]! });
    await send(base, '/anon', {});
    const c = counts(proxy);
    assert.equal(c.a!.revision, '1');
    assert.equal(c.a!.users, onA.length);
    assert.equal(c.b!.users, onB.length);
    assert.equal(c.a!.goals.checkout, 2, 'conversions are unique users, not requests');
    assert.equal(c.b!.goals.checkout, 3);
    assert.equal(c.b!.goals.browse, 1);
    assert.equal(c.a!.goals.browse, 0);
    assert.equal(c.a!.errors, 1);
    assert.equal(c.a!.requests + c.b!.requests, 40 + 6 + 3, 'a request without a user key is not counted');
  });

  test('a user whose variant has no instance that answers is not served by the other variant', async () => {
    const { base: up } = await proxyWith({ header: 'x-user' });
    const down = createProxy({ maxRequestsPerClient: 0, queueTimeoutMs: 300 });
    cleanups.push(() => down.close(0));
    const closed = await freePort();
    await down.apply(oneService([{ name: '1', weightBp: 5000, ports: [a.port] }, { name: '2', weightBp: 5000, ports: [closed] }], { experiment: { variants: { '1': 'a', '2': 'b' }, stickyBy: { header: 'x-user' }, goals: [] } }));
    const downBase = `http://127.0.0.1:${down.addresses()[0]!.port}`;
    const users = Array.from({ length: 40 }, (_, i) => `pin-${i}`);
    const assigned = await Promise.all(users.map(async (u) => (await send(up, '/', { 'x-user': u })).body));
    const got = await Promise.all(users.map(async (u) => {
      const r = await request(`${downBase}/`, { headers: { 'x-user': u } });
      return r.statusCode === 200 ? await r.body.text() : (await r.body.dump(), `status ${r.statusCode}`);
    }));
    assert.ok(assigned.includes('a') && assigned.includes('b'));
    users.forEach((u, i) => {
      if (assigned[i] === 'a') assert.equal(got[i], 'a', u);
      else assert.match(got[i]!, /^status 5\d\d$/, `${u} (variant b) must not get variant a's answer`);
    });
  });
});

