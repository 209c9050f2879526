import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { shadowSchema, type ShadowConfig } from '../../../src/config/schema.ts';
import { judge, planShadow } from '../../../src/rollout/strategies/shadow.ts';
import { planRollout } from '../../../src/rollout/strategies/index.ts';
import type { MirrorObservation } from '../../../src/rollout/state.ts';
import { eventTypes, obs, rollingOut, simulate, spec, T0 } from './fixtures.ts';

const shadow = (c: Record<string, unknown> = {}) => spec({ shadow: shadowSchema.parse({ duration: 60_000, ...c }) as ShadowConfig }, 2);
const seen = (compared: number, differing: number, extra: Partial<MirrorObservation> = {}): MirrorObservation => ({ compared, differing, shadowErrors: 0, dropped: 0, ...extra });

describe('shadow planner', () => {
  test('the shadow set starts beside stable with no user traffic; copies start once it is all ready', () => {
    const s = shadow();
    const starting = planShadow({ spec: s, state: rollingOut(s), observed: obs(T0, { 1: { ready: 2 }, 2: { ready: 1 } }) });
    assert.deepEqual(starting.state.desired.scale, { 1: 2, 2: 2 });
    assert.deepEqual(starting.state.desired.weightsBp, { 1: 10000 });
    assert.equal(starting.state.desired.mirror, null);
    const ready = planShadow({ spec: s, state: starting.state, observed: obs(T0 + 1000, { 1: { ready: 2 }, 2: { ready: 2 } }) });
    assert.deepEqual(ready.state.desired.mirror, { revision: 2, percent: 100 });
    assert.deepEqual(ready.state.desired.weightsBp, { 1: 10000 }, 'users still get only stable');
    assert.deepEqual(eventTypes([ready]), ['ShadowStarted']);
  });

  test('too many differing answers fail the rollout, naming the rate and the first difference', () => {
    const s = shadow({ compare: { maxDiffRate: 0.01 } });
    const state = { ...rollingOut(s), previewReadyAt: T0 };
    const plan = planShadow({ spec: s, state, observed: obs(T0 + 5000, { 1: { ready: 2 }, 2: { ready: 2 } }, { mirror: seen(200, 10, { firstDifference: 'GET /p: $.price: 10 ≠ 12' }) }) });
    assert.equal(plan.state.phase, 'Degraded');
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
    assert.deepEqual(plan.state.desired.scale, { 1: 2 }, 'the shadow set is removed');
    assert.deepEqual(eventTypes([plan]), ['ShadowFailed', 'RolloutAborted']);
    assert.match(plan.events[0]!.reason, /5\.0 % of 200 compared requests \(limit 1\.0 %\): GET \/p: \$\.price: 10 ≠ 12/);
  });

  test('fewer compared answers than minCompared never fail, however many differ', () => {
    const s = shadow({ minCompared: 50 });
    const plan = planShadow({ spec: s, state: { ...rollingOut(s), previewReadyAt: T0 }, observed: obs(T0 + 1000, { 1: { ready: 2 }, 2: { ready: 2 } }, { mirror: seen(10, 10) }) });
    assert.equal(plan.state.phase, 'Progressing');
  });

  test('after its duration within the limit it passes and switches all traffic at once to the ready set', () => {
    const s = shadow();
    const plan = planRollout({ spec: s, state: { ...rollingOut(s), previewReadyAt: T0 }, observed: obs(T0 + 60_000, { 1: { ready: 2 }, 2: { ready: 2 } }, { mirror: seen(500, 2) }) });
    assert.equal(plan.state.stable, 2);
    assert.deepEqual(plan.state.desired.weightsBp, { 2: 10000 });
    assert.deepEqual(eventTypes([plan]), ['ShadowPassed', 'RolloutCompleted']);
  });

  test('after its duration with too little compared it waits, Paused, for promote', () => {
    const s = shadow({ minCompared: 100 });
    const plan = planShadow({ spec: s, state: { ...rollingOut(s), previewReadyAt: T0 }, observed: obs(T0 + 61_000, { 1: { ready: 2 }, 2: { ready: 2 } }, { mirror: seen(5, 0) }) });
    assert.equal(plan.state.phase, 'Paused');
    assert.match(plan.state.message, /inconclusive/);
    const promoted = planShadow({ spec: s, state: { ...plan.state, promote: 'step' }, observed: obs(T0 + 62_000, { 1: { ready: 2 }, 2: { ready: 2 } }, { mirror: seen(5, 0) }) });
    assert.equal(promoted.state.stable, 2);
  });

  test('with then: canary it goes on as a canary from step 0 once the shadow passes', () => {
    const s = spec({ shadow: shadowSchema.parse({ duration: 1000, minCompared: 0, then: 'canary' }), canary: { steps: [{ setWeight: 50 }, { pause: {} }] } }, 2);
    const passed = planRollout({ spec: s, state: { ...rollingOut(s), previewReadyAt: T0 }, observed: obs(T0 + 2000, { 1: { ready: 2 }, 2: { ready: 2 } }, { mirror: seen(5, 0) }) });
    assert.deepEqual(eventTypes([passed]), ['ShadowPassed', 'StrategyChanged']);
    assert.equal(passed.state.strategy, 'canary');
    assert.equal(passed.state.stable, 1);
    const { state } = simulate(s, passed.state, 5);
    assert.equal(state.phase, 'Paused');
    assert.equal(state.weightPercent, 50);
    assert.deepEqual(state.desired.weightsBp, { 1: 5000, 2: 5000 });
  });

  test('judge: shadow errors count against it like differing answers', () => {
    const cfg = shadowSchema.parse({ minCompared: 10, compare: { maxDiffRate: 0.1 } });
    assert.deepEqual(judge(seen(90, 0, { shadowErrors: 10 }), cfg), { verdict: 'Successful', rate: 0.1, n: 100 });
    assert.equal(judge(seen(90, 1, { shadowErrors: 10 }), cfg).verdict, 'Failed');
    assert.equal(judge(seen(5, 5), cfg).verdict, 'Inconclusive');
    assert.equal(judge(undefined, cfg).verdict, 'Inconclusive');
  });
});
