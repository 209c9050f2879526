import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';

test('a deploy during a paused canary supersedes it: the canary drains, the new revision rolls out, no request fails', async () => {
  const h = await new Harness({ service: { replicas: 2, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } } }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'v2 canary paused');
    const load = new Load(h.url);
    await h.controller.pause('web');
    assert.equal(h.status().message, 'paused; `cutover resume` continues');
    await h.controller.deploy('web', { version: 'v3', strategy: 'rolling' });
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v3', 'v3 stable');
    await h.until(() => h.pids(1).length === 0 && h.pids(2).length === 0, 'v1 and v2 drained');
    await load.stop();
    assert.deepEqual(load.failures, []);
    for (const v of Object.keys(load.versions)) assert.ok(['v1', 'v2', 'v3'].includes(v), v);
    assert.ok(h.controller.events({ service: 'web' }).some((e) => e.type === 'RolloutSuperseded' && e.revision === 2));
    assert.deepEqual(h.status().revisions.map((r) => [r.version, r.role, r.ready]), [['v3', 'stable', 2]]);
  } finally {
    await h.destroy();
  }
});
