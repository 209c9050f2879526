// Shadow comparison through the real proxy: users get only stable's answers, the shadow's are compared with them.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { startUpstream, get, oneService, type TestUpstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json', date: new Date(Date.now() + Math.random() * 1e6).toUTCString() });
  res.end(JSON.stringify(body));
};
const itemId = (req: IncomingMessage) => Number(new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? 0);

describe('shadow comparison in the proxy', () => {
  const cleanups = cleanupsAfter(after);
  async function upstream(name: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestUpstream> {
    const u = await startUpstream(name, (req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    });
    cleanups.push(() => u.close());
    return u;
  }
  async function proxyFor(stable: TestUpstream, shadow: TestUpstream, mirror: Record<string, unknown>): Promise<{ proxy: Proxy; base: string }> {
    const proxy = createProxy();
    cleanups.push(() => proxy.close(0));
    await proxy.apply(oneService([{ name: '1', weightBp: 10000, ports: [stable.port] }, { name: '2', weightBp: 0, ports: [shadow.port] }], { mirror: { revision: '2', percent: 100, methods: ['GET', 'HEAD'], ...mirror } }));
    return { proxy, base: `http://127.0.0.1:${proxy.addresses()[0]!.port}` };
  }
  const report = (proxy: Proxy) => proxy.stats().find((s) => s.service === 'web')!.mirror!;

  test('a shadow that changes one JSON field on 5 % of answers is counted, with a sample naming the field; ignored paths and headers do not count', async () => {
    const stable = await upstream('stable', (req, res) => json(res, { id: itemId(req), price: 10, requestId: Math.random(), items: [{ at: Date.now() }] }));
    const shadow = await upstream('shadow', (req, res) => json(res, { id: itemId(req), price: itemId(req) % 20 === 0 ? 12 : 10, requestId: Math.random(), items: [{ at: Date.now() + 1 }] }));
    const { proxy, base } = await proxyFor(stable, shadow, { compare: { ignoreJsonPaths: ['$.requestId', '$.items[*].at'] } });
    for (let i = 0; i < 200; i += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, k) => get(`${base}/item?id=${i + k}`)));
      for (const a of answers) assert.equal(JSON.parse(a.body).price, 10, 'users only ever get stable\'s answer');
    }
    await waitFor(() => report(proxy).compared === 200, 'every copy compared');
    const r = report(proxy);
    assert.equal(r.differing, 10);
    assert.deepEqual(r.byKind, { status: 0, header: 0, body: 10 });
    assert.equal(r.samples.length, 10);
    assert.match(r.samples[0]!.request, /^GET \/item\?id=\d*0$/);
    assert.deepEqual(r.samples[0]!.detail, ['$.price: 10 ≠ 12']);
    assert.equal(JSON.parse(r.samples[0]!.shadow.body).price, 12);
    const shadowStats = proxy.stats()[0]!.revisions['2']!;
    assert.equal(shadowStats.requests, 200, 'the shadow revision\'s window counts the copies');
  });

  test('POST is not copied with the default methods; GET is', async () => {
    const stable = await upstream('stable', (_req, res) => json(res, { ok: true }));
    const shadow = await upstream('shadow', (_req, res) => json(res, { ok: true }));
    const { proxy, base } = await proxyFor(stable, shadow, { compare: {} });
    const post = await request(`${base}/pay`, { method: 'POST', body: 'amount=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(post.statusCode, 200);
    await post.body.dump();
    await get(`${base}/read`);
    await waitFor(() => report(proxy).compared === 1, 'the GET compared');
    assert.deepEqual(shadow.seen.map((r) => `${r.method} ${r.url}`), ['GET /read']);
  });

  test('a shadow that hangs, answers slowly or is gone never slows or fails users; copies beyond maxInFlight are dropped and counted', async () => {
    let mode: 'hang' | 'gone' = 'hang';
    const hung: ServerResponse[] = [];
    const stable = await upstream('stable', (_req, res) => json(res, { ok: true }));
    const shadow = await upstream('shadow', (_req, res) => {
      if (mode === 'hang') hung.push(res);
      else res.socket?.destroy();
    });
    cleanups.push(() => hung.forEach((r) => r.socket?.destroy()));
    const { proxy, base } = await proxyFor(stable, shadow, { maxInFlight: 4, compare: {} });
    const answers = await Promise.all(Array.from({ length: 30 }, () => get(`${base}/`)));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    await waitFor(() => hung.length === 4, 'four copies held by the hanging shadow');
    assert.equal(report(proxy).mirrored, 4);
    assert.equal(report(proxy).dropped, 26);
    mode = 'gone';
    hung.splice(0).forEach((r) => r.socket?.destroy());
    await waitFor(() => report(proxy).shadowErrors >= 4, 'the held copies failed');
    const more = await Promise.all(Array.from({ length: 10 }, () => get(`${base}/`)));
    assert.deepEqual(new Set(more.map((a) => a.status)), new Set([200]), 'a crashing shadow fails no user request');
    await waitFor(() => report(proxy).shadowErrors === report(proxy).mirrored, 'every copy sent to a crashing shadow ended as an error', { context: () => JSON.stringify(report(proxy)) });
    const r = report(proxy);
    assert.ok(r.mirrored > 4, 'copies were sent again once the held ones failed');
    assert.equal(r.mirrored + r.dropped, 40, 'every request was either copied or dropped, none queued');
    assert.equal(r.compared, 0);
  });

  test('status and header differences are kinds of their own; secrets in the samples are masked', async () => {
    const stable = await upstream('stable', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-api-key': 'stable-secret', etag: '"a"' });
      res.end('ok');
    });
    const shadow = await upstream('shadow', (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'x-api-key': 'shadow-secret', etag: '"b"' });
      res.end('ok');
    });
    const { proxy, base } = await proxyFor(stable, shadow, { compare: {} });
    assert.equal((await get(`${base}/`)).status, 200);
    await waitFor(() => report(proxy).compared === 1, 'compared');
    const r = report(proxy);
    assert.deepEqual(r.byKind, { status: 1, header: 1, body: 0 });
    assert.ok(r.samples[0]!.detail.includes('status 200 ≠ 500'));
    assert.ok(r.samples[0]!.detail.includes('header x-api-key: differs (value masked)'));
    assert.ok(!JSON.stringify(r).includes('secret'), JSON.stringify(r));
  });
});
