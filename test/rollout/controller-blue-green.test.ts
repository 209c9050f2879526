import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, freePort } from './helpers/harness.ts';
import { getText, Load } from './helpers/load.ts';

test('blue-green: preview by header and port, promote switches all traffic, undo in the window is instant', async () => {
  const previewPort = await freePort();
  const h = await new Harness({
    service: { replicas: 2, strategy: { blueGreen: { autoPromotionEnabled: false, scaleDownDelaySeconds: 60, previewPort } } },
  }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const load = new Load(h.url);
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'preview ready');
    assert.deepEqual(h.status().revisions.map((r) => [r.version, r.role, r.ready, r.weight]), [['v1', 'stable', 2, 100], ['v2', 'preview', 2, 0]]);
    assert.equal(await getText(h.url), 'v1');
    assert.equal(await getText(h.url, { 'x-cutover-preview': '1' }), 'v2');
    assert.equal(await getText(`http://127.0.0.1:${previewPort}`), 'v2');

    const promoted = await h.controller.promote('web');
    assert.equal(promoted.phase, 'Healthy');
    for (let i = 0; i < 5; i++) assert.equal(await getText(h.url), 'v2');
    const v1Pids = h.pids(1);
    assert.equal(v1Pids.length, 2, 'old set kept for the scale-down delay');

    const undone = await h.controller.undo('web');
    assert.equal(undone.stableRevision?.version, 'v1');
    for (let i = 0; i < 5; i++) assert.equal(await getText(h.url), 'v1');
    assert.deepEqual(h.pids(1), v1Pids, 'undo started no new instances');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions).sort(), ['v1', 'v2']);
    assert.ok(h.controller.events({ service: 'web' }).some((e) => e.type === 'RolledBack'));
  } finally {
    await h.destroy();
  }
});
