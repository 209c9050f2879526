import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { getText, Load } from './helpers/load.ts';

for (const viaAdmin of [false, true]) {
  test(`first start runs the config revision; a rolling deploy under load fails no request${viaAdmin ? ' (proxy through its admin API)' : ''}`, async () => {
    const h = await new Harness({ viaAdmin, service: { replicas: 2, strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } } } }).start();
    try {
      await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
      assert.equal(h.status().stableRevision?.version, 'v1');
      assert.equal(await getText(h.url), 'v1');
      const load = new Load(h.url);
      const started = await h.controller.deploy('web', { version: 'v2' });
      assert.equal(started.phase, 'Progressing');
      assert.equal(started.canaryRevision?.version, 'v2');
      await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 Healthy');
      await h.until(() => h.runtime.list().length === 2, 'old instances gone');
      await load.stop();
      assert.deepEqual(load.failures, []);
      assert.deepEqual(Object.keys(load.versions).sort(), ['v1', 'v2']);
      assert.ok(load.sent > 5, `sent ${load.sent}`);
      assert.equal(await getText(h.url), 'v2');
      const s = h.status();
      assert.deepEqual(s.revisions.map((r) => [r.version, r.role, r.ready, r.desired, r.weight]), [['v2', 'stable', 2, 2, 100]]);
      const types = h.controller.events({ service: 'web' }).map((e) => e.type);
      for (const t of ['RolloutStarted', 'InstanceStarted', 'InstanceReady', 'InstanceStopped', 'RolloutCompleted']) assert.ok(types.includes(t), `missing ${t} in ${types.join(',')}`);
      assert.deepEqual(h.controller.history('web').map((r) => r.version), ['v1', 'v2']);
    } finally {
      await h.destroy();
    }
  });
}
