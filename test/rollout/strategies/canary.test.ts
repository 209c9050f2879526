import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanaryConfig } from '../../../src/config/schema.ts';
import { planCanary } from '../../../src/rollout/strategies/canary.ts';
import { eventTypes, obs, rollingOut, simulate, spec, T0 } from './fixtures.ts';

const steps = (s: CanaryConfig['steps'], extra: Partial<CanaryConfig> = {}) => spec({ canary: { steps: s, ...extra } }, 4);

describe('canary planner', () => {
  test('setWeight scales the canary first and moves traffic only once it is ready', () => {
    const s = steps([{ setWeight: 25 }, { pause: {} }]);
    const state = rollingOut(s);
    const waiting = planCanary({ spec: s, state, observed: obs(T0 + 100, { 1: { ready: 4 }, 2: { ready: 0 } }) });
    assert.deepEqual(waiting.state.desired.scale, { 1: 4, 2: 1 });
    assert.deepEqual(waiting.state.desired.weightsBp, { 1: 10000 });
    assert.equal(waiting.state.stepIndex, 0);
    const ready = planCanary({ spec: s, state: waiting.state, observed: obs(T0 + 200, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    assert.deepEqual(ready.state.desired.weightsBp, { 1: 7500, 2: 2500 });
    assert.equal(ready.state.stepIndex, 1);
    assert.equal(ready.state.phase, 'Paused');
    assert.deepEqual(eventTypes([ready]), ['StepCompleted', 'Paused']);
  });

  // Canary instances per weight with replicas 4.
  const scaleRows: { name: string; steps: CanaryConfig['steps']; want: number }[] = [
    { name: 'weight 10 → 1', steps: [{ setWeight: 10 }, { pause: {} }], want: 1 },
    { name: 'weight 50 → 2', steps: [{ setWeight: 50 }, { pause: {} }], want: 2 },
    { name: 'weight 75 → 3', steps: [{ setWeight: 75 }, { pause: {} }], want: 3 },
    { name: 'setCanaryScale replicas 3 at weight 10 → 3', steps: [{ setCanaryScale: { replicas: 3 } }, { setWeight: 10 }, { pause: {} }], want: 3 },
    { name: 'setCanaryScale weight 100 → 4', steps: [{ setCanaryScale: { weight: 100 } }, { setWeight: 10 }, { pause: {} }], want: 4 },
    { name: 'matchTrafficWeight undoes a fixed scale', steps: [{ setCanaryScale: { replicas: 3 } }, { setCanaryScale: { matchTrafficWeight: true } }, { setWeight: 25 }, { pause: {} }], want: 1 },
  ];
  for (const r of scaleRows) {
    test(`canary scale: ${r.name}`, () => {
      const s = steps(r.steps);
      const { state } = simulate(s, rollingOut(s), 10);
      assert.equal(state.phase, 'Paused');
      assert.equal(state.desired.scale[2], r.want);
      assert.equal(state.desired.scale[1], 4, 'stable stays at full scale');
    });
  }

  test('a timed pause ends by itself', () => {
    const s = steps([{ setWeight: 20 }, { pause: { duration: 5000 } }, { setWeight: 60 }, { pause: {} }]);
    const { plans, state } = simulate(s, rollingOut(s), 12);
    assert.equal(state.stepIndex, 3);
    assert.equal(state.weightPercent, 60);
    assert.deepEqual(state.desired.weightsBp, { 1: 4000, 2: 6000 });
    const pausedTicks = plans.filter((p) => p.state.stepIndex === 1).length;
    assert.ok(pausedTicks >= 5, `paused for ${pausedTicks} ticks of 1s`);
  });

  test('promote skips the current pause; promote --full skips every remaining step', () => {
    const s = steps([{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }]);
    const paused = simulate(s, rollingOut(s), 3).state;
    assert.equal(paused.stepIndex, 1);
    const once = simulate(s, { ...paused, promote: 'step' }, 3).state;
    assert.equal(once.stepIndex, 3);
    assert.equal(once.weightPercent, 50);
    const full = simulate(s, { ...paused, promote: 'full' }, 4);
    assert.equal(full.state.phase, 'Healthy');
    assert.equal(full.state.stable, 2);
    assert.deepEqual(full.state.desired.scale, { 2: 4 });
    assert.deepEqual(full.state.desired.weightsBp, { 2: 10000 });
    assert.ok(!full.plans.some((p) => p.state.weightPercent === 50), 'never stopped at the skipped setWeight 50');
  });

  test('after the last step the canary reaches full scale before it takes all traffic', () => {
    const s = steps([{ setWeight: 50 }]);
    const state = { ...rollingOut(s), stepIndex: 1, weightPercent: 50 };
    state.desired.scale = { 1: 4, 2: 2 };
    const waiting = planCanary({ spec: s, state, observed: obs(T0, { 1: { ready: 4 }, 2: { ready: 2 } }) });
    assert.deepEqual(waiting.state.desired.scale, { 1: 4, 2: 4 });
    assert.deepEqual(waiting.state.desired.weightsBp, { 1: 5000, 2: 5000 });
    const done = planCanary({ spec: s, state: waiting.state, observed: obs(T0 + 1, { 1: { ready: 4 }, 2: { ready: 4 } }) });
    assert.deepEqual(done.state.desired.scale, { 2: 4 });
    assert.deepEqual(done.state.desired.weightsBp, { 2: 10000 });
    assert.equal(done.state.stable, 2);
    assert.deepEqual(eventTypes([done]), ['RolloutCompleted']);
  });

  test('header canary adds a match rule to the canary', () => {
    const s = steps([{ setWeight: 10 }, { pause: {} }], { header: 'x-canary' });
    const plan = planCanary({ spec: s, state: rollingOut(s), observed: obs(T0, { 1: { ready: 4 } }) });
    assert.deepEqual(plan.state.desired.match, [{ revision: 2, header: 'x-canary' }]);
  });

  const analysis = { interval: 1000, maxErrorRate: 0.05, minRequests: 10 };
  const failedM = { verdict: 'Failed' as const, metric: 'errorRate' as const, value: 0.5, limit: 0.05, requests: 50, reason: 'errorRate 0.5 > 0.05 over 50 requests' };
  const rows: { name: string; failureLimit: number; before: number; verdict: 'Failed' | 'Successful' | 'Inconclusive'; aborted: boolean; failures: number }[] = [
    { name: 'failureLimit 0: first failure aborts', failureLimit: 0, before: 0, verdict: 'Failed', aborted: true, failures: 0 },
    { name: 'failureLimit 2: second failure is tolerated', failureLimit: 2, before: 1, verdict: 'Failed', aborted: false, failures: 2 },
    { name: 'failureLimit 2: third consecutive failure aborts', failureLimit: 2, before: 2, verdict: 'Failed', aborted: true, failures: 2 },
    { name: 'a success resets the count', failureLimit: 2, before: 2, verdict: 'Successful', aborted: false, failures: 0 },
    { name: 'inconclusive changes nothing', failureLimit: 2, before: 2, verdict: 'Inconclusive', aborted: false, failures: 2 },
  ];
  for (const r of rows) {
    test(`analysis: ${r.name}`, () => {
      const s = steps([{ setWeight: 25 }, { pause: {} }], { analysis: { ...analysis, failureLimit: r.failureLimit } });
      const state = { ...rollingOut(s), stepIndex: 1, weightPercent: 25, analysisFailures: r.before };
      const m = r.verdict === 'Failed' ? failedM : { verdict: r.verdict, requests: 50, reason: 'x' };
      const plan = planCanary({ spec: s, state, observed: obs(T0, { 1: { ready: 4 }, 2: { ready: 1 } }, { analysis: m }) });
      assert.equal(plan.state.aborted, r.aborted);
      if (r.aborted) {
        assert.equal(plan.state.phase, 'Degraded');
        assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
        assert.equal(plan.state.desired.scale[2], undefined);
        assert.match(plan.events.find((e) => e.type === 'RolloutAborted')!.reason, /errorRate 0.5 > 0.05/);
      } else {
        assert.equal(plan.state.analysisFailures, r.failures);
      }
    });
  }

  test('abort (set by the intent) sends weight to 0 and scales the canary to 0 at once', () => {
    const s = steps([{ setWeight: 50 }, { pause: {} }]);
    const paused = simulate(s, rollingOut(s), 3).state;
    assert.deepEqual(paused.desired.weightsBp, { 1: 5000, 2: 5000 });
    const { state } = simulate(s, { ...paused, aborted: true, phase: 'Degraded' }, 1);
    assert.deepEqual(state.desired.weightsBp, { 1: 10000 });
    assert.deepEqual(state.desired.scale, { 1: 4 });
    assert.equal(state.phase, 'Degraded');
    assert.equal(state.canary, 2, 'kept so retry can restart it');
  });
});
