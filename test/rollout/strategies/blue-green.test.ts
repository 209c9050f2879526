import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlueGreenConfig } from '../../../src/config/schema.ts';
import { planBlueGreen } from '../../../src/rollout/strategies/blue-green.ts';
import { planRollout } from '../../../src/rollout/strategies/index.ts';
import { eventTypes, obs, rollingOut, simulate, spec, T0 } from './fixtures.ts';

const bg = (c: Partial<BlueGreenConfig> = {}) =>
  spec({ blueGreen: { autoPromotionEnabled: false, autoPromotionSeconds: 0, scaleDownDelaySeconds: 30, previewHeader: 'x-cutover-preview', ...c } }, 2);

describe('blue-green planner', () => {
  test('the full preview set starts beside stable, reachable only by header and preview port', () => {
    const s = bg({ previewPort: 9090 });
    const plan = planBlueGreen({ spec: s, state: rollingOut(s), observed: obs(T0, { 1: { ready: 2 } }) });
    assert.deepEqual(plan.state.desired.scale, { 1: 2, 2: 2 });
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
    assert.deepEqual(plan.state.desired.match, [{ revision: 2, header: 'x-cutover-preview' }]);
    assert.deepEqual(plan.state.desired.previewPort, { revision: 2, port: 9090 });
    assert.equal(plan.state.phase, 'Progressing');
  });

  test('without auto-promotion it waits (Paused) until promote, then switches 100% at once', () => {
    const s = bg();
    const waiting = simulate(s, rollingOut(s), 5).state;
    assert.equal(waiting.phase, 'Paused');
    assert.deepEqual(waiting.desired.weightsBp, { 1: 10000 });
    const promoted = planRollout({ spec: s, state: { ...waiting, promote: 'step' }, observed: obs(T0 + 10_000, { 1: { ready: 2 }, 2: { ready: 2 } }) });
    assert.deepEqual(promoted.state.desired.weightsBp, { 2: 10000 });
    assert.deepEqual(promoted.state.desired.scale, { 1: 2, 2: 2 }, 'old set kept for undo');
    assert.equal(promoted.state.stable, 2);
    assert.equal(promoted.state.old, 1);
    assert.equal(promoted.state.scaleDownAt, T0 + 40_000);
    assert.deepEqual(eventTypes([promoted]), ['Promoted', 'RolloutCompleted']);
  });

  const autoRows: { seconds: number; promotedBy: number }[] = [
    { seconds: 0, promotedBy: 2 },
    { seconds: 3, promotedBy: 5 },
  ];
  for (const r of autoRows) {
    test(`auto-promotion after ${r.seconds}s of a ready preview`, () => {
      const s = bg({ autoPromotionEnabled: true, autoPromotionSeconds: r.seconds });
      const { plans } = simulate(s, rollingOut(s), 8);
      const at = plans.findIndex((p) => p.state.stable === 2);
      assert.ok(at >= 0 && at <= r.promotedBy, `promoted at tick ${at}`);
      if (r.seconds > 0) assert.ok(at >= r.seconds, `promoted too early at tick ${at}`);
    });
  }

  test('the old set is removed after scaleDownDelaySeconds', () => {
    const s = bg({ autoPromotionEnabled: true, scaleDownDelaySeconds: 5 });
    const { plans, state } = simulate(s, rollingOut(s), 12);
    assert.deepEqual(state.desired.scale, { 2: 2 });
    assert.equal(state.old, null);
    assert.ok(eventTypes(plans).includes('ScaledDownOld'));
    const withOld = plans.filter((p) => p.state.desired.scale[1] === 2 && p.state.stable === 2).length;
    assert.ok(withOld >= 4, `old kept ${withOld} ticks`);
  });

  test('a preview that never gets ready fails by the deadline; stable untouched', () => {
    const s = { ...bg(), progressDeadlineSeconds: 5 };
    const plan = planBlueGreen({ spec: s, state: rollingOut(s), observed: obs(T0 + 6000, { 1: { ready: 2 }, 2: { ready: 1, running: 2 } }) });
    assert.equal(plan.state.phase, 'Degraded');
    assert.deepEqual(plan.state.desired.scale, { 1: 2 });
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
    assert.deepEqual(plan.state.desired.match, []);
  });
});
