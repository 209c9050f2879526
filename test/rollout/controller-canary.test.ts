import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { getText, Load } from './helpers/load.ts';

const canary = {
  replicas: 2,
  strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }, { pause: { duration: '300ms' } }], header: 'x-canary' } },
};

test('canary: steps, pause until promote, header rule, completion under load', async () => {
  const h = await new Harness({ service: canary }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const load = new Load(h.url);
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'paused at step 2');
    const paused = h.status();
    assert.equal(paused.stepIndex, 1);
    assert.equal(paused.steps, 4);
    assert.equal(paused.weight, 50);
    assert.deepEqual(paused.revisions.map((r) => [r.version, r.role, r.desired, r.weight]), [['v1', 'stable', 2, 50], ['v2', 'canary', 1, 50]]);
    assert.equal(await getText(h.url, { 'x-canary': '1' }), 'v2');
    await assert.rejects(h.controller.resume('web'), { code: 'NO_ROLLOUT_IN_PROGRESS' });
    await h.controller.promote('web');
    await h.until(() => h.status().phase === 'Healthy', 'completed');
    await h.until(() => h.runtime.list().length === 2, 'v1 drained');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions).sort(), ['v1', 'v2']);
    assert.equal(h.status().stableRevision?.version, 'v2');
    await assert.rejects(h.controller.promote('web'), { code: 'NO_ROLLOUT_IN_PROGRESS', status: 409 });
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.includes('Paused') && types.includes('Promoted') && types.includes('StepCompleted'), types.join(','));
  } finally {
    await h.destroy();
  }
});

test('canary abort: weight back to 0 at once, canary instances gone, retry restarts it', async () => {
  const h = await new Harness({ service: canary }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'paused');
    const load = new Load(h.url);
    const aborted = await h.controller.abort('web');
    assert.equal(aborted.phase, 'Degraded');
    assert.equal(aborted.weight, 0);
    // Routes were pushed without the canary before this call returned.
    for (let i = 0; i < 10; i++) assert.equal(await getText(h.url), 'v1');
    await h.until(() => h.pids(2).length === 0, 'canary instances stopped');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(h.status().revisions.map((r) => r.version), ['v1']);
    await assert.rejects(h.controller.abort('web'), { code: 'NO_ROLLOUT_IN_PROGRESS' });
    const retried = await h.controller.retry('web');
    assert.equal(retried.phase, 'Progressing');
    await h.until(() => h.status().phase === 'Paused' && h.status().weight === 50, 'canary back at step 2');
    await assert.rejects(h.controller.retry('web'), { code: 'NOTHING_TO_RETRY' });
  } finally {
    await h.destroy();
  }
});
