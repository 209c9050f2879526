import { httpText } from '../helpers/upstream.ts';
// After a controller restart, an adopted instance the proxy routes to keeps its
// place in the route table until its own probes say it is not ready: a first
// probe that takes longer than settleMs must not cost capacity (with one
// instance, a window with nothing to route to), while an adopted instance that
// really fails its probes is still taken out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../helpers/apps/paths.ts';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';

const heldApp = `${shellQuote(process.execPath)} ${shellQuote(fileURLToPath(new URL('./apps/held-health.mjs', import.meta.url)))}`;
const SETTLE_MS = 200;

/** Ids of the instances the proxy routes `web` to. */
function routed(h: Harness): string[] {
  const web = h.proxy.routes().services.find((s) => s.name === 'web');
  return (web?.revisions ?? []).flatMap((r) => r.instances.filter((i) => i.ready !== false).map((i) => i.id)).sort();
}

test('an adopted instance whose first probe is still pending after settleMs stays routed, until its probes fail', async () => {
  // viaAdmin: the controller reads what the proxy routes through the admin API, as `cutover up` does.
  const h = await new Harness({
    viaAdmin: true,
    settleMs: SETTLE_MS,
    service: { replicas: 1, run: heldApp, readiness: { path: '/healthz', interval: '100ms', timeout: '30s' } },
  }).start();
  let load: Load | undefined;
  try {
    await h.until(() => h.status().phase === 'Healthy' && routed(h).length === 1, 'v1 Healthy and routed');
    const [inst] = h.runtime.list({ service: 'web' });
    assert.ok(inst);
    // While no controller runs, the instance's /healthz starts hanging: the new controller's first probe stays pending.
    await h.restartController(async () => void (await httpText(inst.record.port, '/hold')));
    const restartedAt = Date.now();
    load = new Load(h.url, { clients: 1, slow: 0 });
    // Well past settleMs the loop has published its own routes several times (it ticks every 100 ms).
    while (Date.now() < restartedAt + SETTLE_MS + 2_000) {
      assert.deepEqual(routed(h), [inst.id], 'the adopted instance stays in the route table');
      await new Promise((r) => setTimeout(r, 50));
    }
    await h.until(() => h.status().revisions[0]?.ready === 1, 'the loop counts the adopted instance as ready');
    assert.equal(h.runtime.get(inst.id)?.state, 'ready');
    await load.stop();
    assert.ok(load.sent > 0);
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions), ['v1'], 'the proxy kept routing to it');

    await httpText(inst.record.port, '/release');
    await httpText(inst.record.port, '/sick');
    await h.until(() => h.runtime.get(inst.id)?.state === 'unready' && routed(h).length === 0, 'the failing instance taken out of the routes');
    assert.deepEqual(h.pids(), [inst.record.pid], 'the same process throughout');
  } finally {
    await load?.stop().catch(() => {}); // already stopped when the test got that far
    await h.destroy();
  }
});

test('an adopted instance that fails its probes is taken out of the routes; the healthy one stays', async () => {
  const h = await new Harness({ settleMs: SETTLE_MS, service: { replicas: 2, run: heldApp } }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy' && routed(h).length === 2, 'v1 Healthy, both routed');
    const [sick, well] = h.runtime.list({ service: 'web' });
    assert.ok(sick && well);
    // It turns unhealthy while nobody probes it: the proxy still routes to it when the new controller adopts it.
    await h.restartController(async () => void (await httpText(sick.record.port, '/sick')));
    await h.until(() => h.runtime.get(sick.id)?.ready === false && routed(h).length === 1, 'the sick instance out of the routes');
    assert.deepEqual(routed(h), [well.id]);
    assert.equal(h.runtime.get(well.id)?.state, 'ready');
    assert.equal(h.status().revisions[0]?.ready, 1);
  } finally {
    await h.destroy();
  }
});
