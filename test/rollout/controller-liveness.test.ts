// An instance that fails liveness is taken out of routing and drained through
// the proxy before the runtime stops and restarts it: a request in flight is
// answered by the process it was sent to (the app exits at once on SIGTERM,
// so without the drain it is cut, and the proxy can only retry it elsewhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { shellQuote } from '../helpers/apps/paths.ts';
import { Harness } from './helpers/harness.ts';

const app = `${shellQuote(process.execPath)} ${shellQuote(fileURLToPath(new URL('./apps/pid-slow.mjs', import.meta.url)))}`;

test('liveness restart drains the instance first: the request in flight completes on its own process', async () => {
  const h = await new Harness({
    service: { run: app, replicas: 1, liveness: { path: '/healthz', interval: '100ms', timeout: '500ms', failureThreshold: 2 } },
  }).start();
  try {
    const one = () => h.runtime.list({ service: 'web' })[0];
    await h.until(() => h.status().phase === 'Healthy' && one()?.ready === true, 'v1 Healthy');
    const { pid, port } = one()!.record;
    const slow = request(`${h.url}/slow?ms=1500`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
    await h.until(() => inflight(h) > 0, 'slow request in flight', 5_000);
    await request(`http://127.0.0.1:${port}/sick`).then((r) => r.body.text());
    assert.deepEqual(await slow, { status: 200, body: String(pid) }, 'served by the instance it was sent to, not cut');
    await h.until(() => (one()?.restarts ?? 0) >= 1 && one()?.ready === true, 'restarted and ready');
    const after = await request(h.url).then(async (x) => ({ status: x.statusCode, body: await x.body.text() }));
    assert.deepEqual(after, { status: 200, body: String(one()!.record.pid) }, 'the restarted instance is routed again');
    assert.notEqual(one()!.record.pid, pid);
  } finally {
    await h.destroy();
  }
});

function inflight(h: Harness): number {
  return Object.values(h.proxy.stats().find((s) => s.service === 'web')?.revisions ?? {}).reduce((n, r) => n + r.inflight, 0);
}
