// Flags move with the code: a canary's setFlag step changes a flag with the transition that passes it, and an
// abort puts it back in the transition that sends traffic back, also after a controller kill -9. Real controller,
// proxy, instances, store and FlagService.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { getText, Load } from './helpers/load.ts';
import { waitFor } from '../helpers/wait.ts';

const steps = (flag: string) => ({ replicas: 2, strategy: { canary: { steps: [{ setFlag: { name: flag, rollout: 25 } }, { setWeight: 50 }, { pause: {} }] } } });
const checkout = { name: 'checkout', enabled: false, strategies: [{ name: 'default', parameters: {}, constraints: [] }], variants: [] };

test('setFlag: set with its step, put back by an abort (after a controller restart too), set again by retry and kept on completion', async () => {
  const h = await new Harness({ service: steps('checkout'), flags: true }).start();
  try {
    h.flags.set('checkout', checkout, { actor: 'admin' });
    const original = structuredClone(h.flags.get('checkout')!.definition);
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const load = new Load(h.url);
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused' && h.status().weight === 50, 'canary paused at 50 %');
    const set = h.flags.get('checkout')!.definition;
    assert.equal(set.enabled, true);
    assert.deepEqual(set.strategies.map((s) => [s.name, s.parameters?.rollout]), [['flexibleRollout', '25']]);
    const setEvent = h.flags.events({ name: 'checkout' }).at(-1)!;
    assert.equal(setEvent.actor, 'rollout:web');
    assert.ok(h.controller.events({ service: 'web' }).some((e) => e.type === 'FlagSet' && /checkout on for 25 % of users/.test(e.reason)));

    await h.restartController(); // as after kill -9: the flag's definition from before is in the stored rollout state
    await h.until(() => h.status().phase === 'Paused', 'resumed');
    const aborted = await h.controller.abort('web');
    assert.equal(aborted.phase, 'Degraded');
    // The call returns after the tick that sent traffic back: the flag is back in the same transition.
    assert.deepEqual(h.flags.get('checkout')!.definition, original);
    const restored = h.controller.events({ service: 'web' }).find((e) => e.type === 'FlagsRestored');
    assert.match(restored!.reason, /checkout put back as before/);

    await h.controller.retry('web');
    await h.until(() => h.status().phase === 'Paused' && h.status().weight === 50, 'retried canary paused');
    assert.equal(h.flags.get('checkout')!.definition.enabled, true);
    await h.controller.promote('web', { full: true });
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 stable');
    assert.equal(h.flags.get('checkout')!.definition.enabled, true, 'a completed rollout keeps its flags');
    await load.stop();
    assert.deepEqual(load.failures, []);
  } finally {
    await h.destroy();
  }
});

test('setFlag on a flag that does not exist aborts the rollout with the reason; stable keeps serving', async () => {
  const h = await new Harness({ service: steps('no-such-flag'), flags: true }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Degraded', 'aborted');
    const ev = h.controller.events({ service: 'web' }).find((e) => e.type === 'RolloutAborted');
    assert.match(ev!.reason, /setFlag no-such-flag failed: .*no-such-flag/);
    assert.equal(h.status().stableRevision?.version, 'v1');
    assert.equal(h.flags.get('no-such-flag'), undefined);
  } finally {
    await h.destroy();
  }
});

test('canary by flag: users who get the flag on reach the canary, and a flag change moves them within a tick', async () => {
  const service = { replicas: 2, strategy: { canary: { flag: { name: 'new-ui', userKey: { header: 'x-user-id' } }, steps: [{ setCanaryScale: { replicas: 1 } }, { pause: {} }] } } };
  const h = await new Harness({ service, flags: true }).start();
  try {
    h.flags.set('new-ui', { name: 'new-ui', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'alice,carol' }, constraints: [] }] }, { actor: 'admin' });
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused' && h.status().revisions.some((r) => r.role === 'canary' && r.ready === 1), 'canary ready, 0 % by weight');
    const who = async () => Object.fromEntries(await Promise.all(['alice', 'bob', 'carol'].map(async (u) => [u, await getText(h.url, { 'x-user-id': u })])));
    // Routes go out with the tick that made the canary ready; poll rather than assume which request sees them.
    await waitFor(async () => (await who()).alice === 'v2', 'alice on the canary', { timeoutMs: 5000, everyMs: 50 });
    assert.deepEqual(await who(), { alice: 'v2', bob: 'v1', carol: 'v2' });
    assert.equal(await getText(h.url), 'v1', 'no user: the weights (all on stable)');
    h.flags.apply([{ op: 'disable', name: 'new-ui' }], { actor: 'admin' });
    await waitFor(async () => (await who()).alice === 'v1', 'the flag turned off reaches the proxy', { timeoutMs: 5000, everyMs: 50 });
    assert.deepEqual(await who(), { alice: 'v1', bob: 'v1', carol: 'v1' });
  } finally {
    await h.destroy();
  }
});

test('a setFlag that changes nothing is put back as it was, not deleted; a refused setFlag on the last step aborts rather than completes', async () => {
  const service = { replicas: 2, strategy: { canary: { steps: [{ setFlag: { name: 'checkout', enabled: true } }, { setWeight: 50 }, { setFlag: { name: 'missing', enabled: true } }] } } };
  const h = await new Harness({ service, flags: true }).start();
  try {
    h.flags.set('checkout', { ...checkout, enabled: true }, { actor: 'admin' });
    const original = structuredClone(h.flags.get('checkout')!.definition);
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Degraded', 'aborted at the refused last step');
    assert.equal(h.status().stableRevision?.version, 'v1', 'the rollout did not complete');
    assert.deepEqual(h.flags.get('checkout')?.definition, original, 'checkout is still there, as it was');
    const ev = h.controller.events({ service: 'web' });
    assert.ok(ev.some((e) => e.type === 'RolloutAborted' && /setFlag missing failed: flag "missing" does not exist/.test(e.reason)), ev.map((e) => `${e.type}: ${e.reason}`).join('\n'));
    assert.equal(ev.filter((e) => e.type === 'RolloutCompleted').length, 1, 'only v1 ever completed');
    assert.ok(ev.some((e) => e.type === 'FlagSet') && ev.some((e) => e.type === 'FlagsRestored'), 'checkout was set (to what it was) and put back');
  } finally {
    await h.destroy();
  }
});
