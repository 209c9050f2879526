import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';

for (const [name, env, type, deadline] of [
  ['never-ready', { APP_NEVER_READY: '1' }, 'ProgressDeadlineExceeded', 3],
  ['crash-looping', { APP_NEVER_READY: '1', APP_CRASH_AFTER_MS: '100' }, 'CrashLoop', 60],
] as const) {
  test(`a ${name} revision fails its rollout and leaves stable untouched`, async () => {
    const h = await new Harness({ service: { replicas: 2, progressDeadlineSeconds: deadline, strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } } } }).start();
    try {
      await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
      const v1 = h.pids(1);
      const load = new Load(h.url);
      await h.controller.deploy('web', { version: 'bad', env });
      await h.until(() => h.status().phase === 'Degraded', 'rollout failed', 30_000);
      await h.until(() => h.pids(2).length === 0, 'bad instances removed');
      await load.stop();
      assert.deepEqual(load.failures, []);
      assert.deepEqual(Object.keys(load.versions), ['v1']);
      assert.deepEqual(h.pids(1), v1, 'stable instances untouched');
      const s = h.status();
      assert.equal(s.stableRevision?.version, 'v1');
      assert.equal(s.canaryRevision?.version, 'bad');
      assert.equal(s.weight, 0);
      const types = h.controller.events({ service: 'web' }).map((e) => e.type);
      assert.ok(types.includes(type) && types.includes('RolloutAborted'), types.join(','));
    } finally {
      await h.destroy();
    }
  });
}

test('unknown service and unknown revision are typed errors', async () => {
  const h = await new Harness().start();
  try {
    await assert.rejects(h.controller.deploy('nope', { version: 'v2' }), { code: 'SERVICE_NOT_FOUND', status: 404 });
    assert.throws(() => h.controller.status('nope'), { code: 'SERVICE_NOT_FOUND' });
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await assert.rejects(h.controller.undo('web', { toRevision: 9 }), { code: 'REVISION_NOT_FOUND' });
    await assert.rejects(h.controller.undo('web'), { code: 'NOTHING_TO_UNDO' });
    await assert.rejects(h.controller.deploy('web', { version: 'v2', migration: 'm.json' }), { code: 'MIGRATIONS_NOT_CONFIGURED' });
  } finally {
    await h.destroy();
  }
});

test('dryRun shows the plan of a deploy and changes nothing', async () => {
  const h = await new Harness({ service: { replicas: 2, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } } }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const eventsBefore = h.controller.events().length;
    const r = h.controller.dryRun('web', { version: 'v2' });
    assert.equal(r.revision.number, 2);
    assert.equal(r.revision.version, 'v2');
    assert.equal(r.steps.at(-1)?.type, 'RolloutCompleted');
    assert.ok(r.steps.some((s) => s.weights[2] === 50));
    assert.equal(h.controller.history('web').length, 1);
    assert.equal(h.controller.events().length, eventsBefore);
    assert.equal(h.status().phase, 'Healthy');
  } finally {
    await h.destroy();
  }
});
