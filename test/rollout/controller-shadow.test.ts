// Shadow and experiment rollouts end to end: controller, real proxy, real instances, load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';

let next = 0;
const items = () => `/item?id=${next++}`;
const versionOf = (body: string) => ({ version: (JSON.parse(body) as { version: string }).version });
// No slow loop: /slow answers the version as text, which differs between any two versions.

const shadow = (extra: Record<string, unknown> = {}) => ({
  replicas: 2,
  strategy: { shadow: { duration: '60s', minCompared: 40, compare: { ignoreHeaders: ['x-version'], ignoreJsonPaths: ['$.at', '$.version'], maxDiffRate: 0.01 }, ...extra } },
});

test('shadow: a version that changes a field on 5 % of answers fails on its diff, naming the field; users only ever get stable and nothing fails', async () => {
  const h = await new Harness({ service: shadow() }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const load = new Load(h.url, { path: items, parse: versionOf, clients: 3, slow: 0 });
    await h.controller.deploy('web', { version: 'v2', env: { APP_CHANGE_EVERY: '20' } });
    await h.until(() => h.status().phase === 'Degraded', 'shadow failed', 60_000);
    await h.until(() => h.runtime.list({ service: 'web', revision: 2 }).length === 0, 'shadow set removed');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions), ['v1'], 'users got only stable answers');
    const failed = h.controller.events({ service: 'web' }).find((e) => e.type === 'ShadowFailed');
    assert.ok(failed, 'a ShadowFailed event');
    assert.match(failed.reason, /differ on \d+\.\d % of \d+ compared requests \(limit 1\.0 %\): GET \/item\?id=\d+: \$\.price: 10 ≠ 12/);
    const report = await h.controller.shadowReport('web');
    assert.equal(report.shadowRevision, null, 'no shadow runs after the failure');
  } finally {
    await h.destroy();
  }
});

test('shadow: an equal version passes after its duration and takes all traffic; the report shows what was compared', async () => {
  const h = await new Harness({ service: shadow({ duration: '3s', minCompared: 20 }) }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const load = new Load(h.url, { path: items, parse: versionOf, slow: 0 });
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().revisions.some((r) => r.role === 'shadow' && r.ready === 2), 'shadow set ready');
    await h.until(() => (h.proxy.stats()[0]?.mirror?.compared ?? 0) >= 20, 'copies compared');
    const report = await h.controller.shadowReport('web');
    assert.equal(report.shadowRevision, 2);
    assert.equal(report.comparison!.differing, 0);
    assert.ok(report.shadow!.requests > 0 && report.stable!.requests > 0);
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'promoted after the shadow passed', 30_000);
    await load.stop();
    assert.deepEqual(load.failures, []);
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.includes('ShadowStarted') && types.includes('ShadowPassed') && types.includes('RolloutCompleted'), types.join(','));
  } finally {
    await h.destroy();
  }
});

test('experiment: users keep their variant across a controller restart; promote --variant b makes it stable', async () => {
  const h = await new Harness({ service: { replicas: 2, strategy: { experiment: { split: 50, stickyBy: { header: 'x-user' }, goals: [{ name: 'buy', request: { path: '/buy' } }] } } } }).start();
  const variantOf = async (user: string) => (await (await request(`${h.url}/`, { headers: { 'x-user': user } })).body.text());
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused' && h.status().revisions.every((r) => r.ready === 2), 'experiment running');
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    // In two halves: 200 at once from one address would pass the proxy's maxRequestsPerClient (128).
    const variantsOf = async (list: string[]) => [...(await Promise.all(list.slice(0, 100).map(variantOf))), ...(await Promise.all(list.slice(100).map(variantOf)))];
    const before = await variantsOf(users);
    const onV2 = before.filter((v) => v === 'v2').length;
    assert.ok(onV2 > 60 && onV2 < 140, `${onV2} of 200 users on v2`);
    for (const u of users.slice(0, 50)) await request(`${h.url}/buy`, { headers: { 'x-user': u } }).then((r) => r.body.dump());
    await h.restartController();
    await h.until(() => h.status().phase === 'Paused', 'experiment resumed after the restart');
    assert.deepEqual(await variantsOf(users), before, 'no user switched variant');
    const report = (await h.controller.experimentReport('web'))!;
    assert.deepEqual(report.variants.map((v) => v.name), ['a', 'b']);
    assert.equal(report.variants.reduce((n, v) => n + v.users, 0), 200);
    assert.equal(report.variants.reduce((n, v) => n + v.goals.buy!.conversions, 0), 50);
    await assert.rejects(h.controller.promote('web', { variant: 'c' }), { code: 'UNKNOWN_VARIANT' });
    await h.controller.promote('web', { variant: 'b' });
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'variant b stable');
    assert.ok(h.controller.events({ service: 'web' }).some((e) => e.type === 'ExperimentConcluded' && /variant b/.test(e.reason)));
  } finally {
    await h.destroy();
  }
});
