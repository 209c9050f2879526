import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';
import { waitFor } from '../helpers/wait.ts';

test('a controller dropped mid-canary (as by kill -9): the same processes keep serving, a new one resumes at the step', async () => {
  const h = await new Harness({
    service: { replicas: 2, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] } } },
  }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'paused at step 2');
    const pids = h.pids();
    const readyEvents = () => h.controller.events({ service: 'web' }).filter((e) => e.type === 'InstanceReady').length;
    const readyBefore = readyEvents();
    const load = new Load(h.url);
    await h.restartController();
    assert.deepEqual(h.pids(), pids, 'the new runtime adopted the same processes');
    await h.until(() => h.status().revisions.every((r) => r.ready === r.desired) && h.status().revisions.length === 2, 'adopted instances ready');
    const s = h.status();
    assert.equal(s.phase, 'Paused');
    assert.equal(s.stepIndex, 1);
    assert.equal(s.weight, 50);
    assert.deepEqual(h.pids(), pids, 'nothing was restarted');
    assert.equal(readyEvents(), readyBefore, 'adopted instances are not reported ready again');
    await h.controller.promote('web');
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'rollout completed after restart');
    await h.until(() => h.pids(1).length === 0, 'v1 drained');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions).sort(), ['v1', 'v2']);
    const lost = h.controller.events({ service: 'web' }).filter((e) => e.type === 'InstanceLost');
    assert.deepEqual(lost, []);
  } finally {
    await h.destroy();
  }
});

test('an instance that died while no controller ran is replaced on start', async () => {
  const h = await new Harness({ service: { replicas: 2 } }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const [victim, survivor] = h.pids();
    await h.controller.stop();
    await h.runtime.close();
    process.kill(victim!, 'SIGKILL');
    // Until it is reaped the pid still answers signal 0, and the new controller would adopt it (no InstanceLost).
    await waitGone(victim!);
    h.store.close();
    await h.startController();
    await h.until(() => h.pids().length === 2 && h.status().revisions[0]?.ready === 2, 'replacement ready');
    assert.ok(h.pids().includes(survivor!));
    assert.ok(!h.pids().includes(victim!));
    assert.ok(h.controller.events({ service: 'web' }).some((e) => e.type === 'InstanceLost'));
  } finally {
    await h.destroy();
  }
});

async function waitGone(pid: number): Promise<void> {
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, `process ${pid} to exit`, { timeoutMs: 5_000, everyMs: 25 });
}
