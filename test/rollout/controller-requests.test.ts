// What deploy / undo return: the status of the tick that applied the request
// (never a stale one, e.g. while adopted instances settle after a restart),
// with the revision it started rolling out; and service names are looked up
// as own keys only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoutesState } from '../../src/rollout/interfaces.ts';
import { Harness } from './helpers/harness.ts';

const withoutInstances = (t: RoutesState): RoutesState => ({
  ...t,
  services: t.services.map((s) => ({ ...s, revisions: s.revisions.map((r) => ({ ...r, instances: [] })) })),
});

test('deploy right after a controller restart resolves once applied, with rolloutRevision; undo too', async () => {
  const h = await new Harness({ service: { replicas: 1, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } } }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    // The previous controller's last table routes to no instance (as if v1 had been unready), so the adopted v1
    // instance waits for its first probe and the loop is still settling when the deploy comes in.
    await h.restartController(() => h.proxy.apply(withoutInstances(h.proxy.routes())));
    const s = await h.controller.deploy('web', { version: 'v2' });
    assert.equal(s.canaryRevision?.number, 2, JSON.stringify(s));
    assert.equal(s.rolloutRevision, 2);
    assert.equal(s.stableRevision?.number, 1);
    assert.notEqual(s.phase, 'Healthy');
    assert.equal(h.status().rolloutRevision, undefined, 'only on the response of the request');

    await h.until(() => h.status().phase === 'Paused', 'canary paused');
    const u = await h.controller.undo('web');
    assert.equal(u.rolloutRevision, 1);
    assert.equal(u.canaryRevision, null);
    assert.equal(u.stableRevision?.number, 1);
  } finally {
    await h.destroy();
  }
});

test('service names that are Object.prototype keys are not found (404), not "controller not started"', async () => {
  const h = await new Harness({ service: { replicas: 1 } }).start();
  try {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const notFound = { code: 'SERVICE_NOT_FOUND' };
      assert.throws(() => h.controller.status(name), notFound, name);
      assert.throws(() => h.controller.history(name), notFound, name);
      assert.throws(() => h.controller.events({ service: name }), notFound, name);
      assert.throws(() => h.controller.dryRun(name, { version: 'x' }), notFound, name);
      await assert.rejects(h.controller.deploy(name, { version: 'x' }), notFound, name);
      await assert.rejects(h.controller.promote(name), notFound, name);
      await assert.rejects(h.controller.undo(name), notFound, name);
    }
    assert.equal(h.controller.status('web')[0]?.service, 'web');
  } finally {
    await h.destroy();
  }
});
