import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanaryConfig, TemplateConfig } from '../../../src/config/schema.ts';
import { LEGACY_TEMPLATE, legacyTemplate } from '../../../src/analysis/templates.ts';
import type { MeasurementRecord } from '../../../src/store/records.ts';
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

  test('with hosts, a canary runs one instance per host (its count rounded up to a multiple of the hosts)', () => {
    const rows: Array<{ steps: CanaryConfig['steps']; want: number }> = [
      { steps: [{ setWeight: 10 }, { pause: {} }], want: 2 }, // 1 would leave one host's proxy without a canary
      { steps: [{ setWeight: 50 }, { pause: {} }], want: 2 },
      { steps: [{ setWeight: 60 }, { pause: {} }], want: 4 },
      { steps: [{ setCanaryScale: { replicas: 3 } }, { setWeight: 10 }, { pause: {} }], want: 4 },
    ];
    for (const r of rows) {
      const s = { ...steps(r.steps), hosts: 2 };
      const { state } = simulate(s, rollingOut(s), 10);
      assert.equal(state.desired.scale[2], r.want, JSON.stringify(r.steps[0]));
    }
  });

  test('a setFlag step passes at once and hands its flag change to the controller, only in the tick that passes it', () => {
    const s = steps([{ setFlag: { name: 'checkout', rollout: 25 } }, { setWeight: 50 }, { setFlag: { name: 'banner', enabled: false } }, { pause: {} }]);
    const first = planCanary({ spec: s, state: rollingOut(s), observed: obs(T0 + 100, { 1: { ready: 4 }, 2: { ready: 0 } }) });
    assert.deepEqual(first.flags, [{ name: 'checkout', rollout: 25 }]);
    assert.equal(first.state.stepIndex, 1, 'waits at setWeight for the canary');
    const again = planCanary({ spec: s, state: first.state, observed: obs(T0 + 200, { 1: { ready: 4 }, 2: { ready: 0 } }) });
    assert.equal(again.flags, undefined, 'a passed step is not replayed');
    const ready = planCanary({ spec: s, state: again.state, observed: obs(T0 + 300, { 1: { ready: 4 }, 2: { ready: 2 } }) });
    assert.deepEqual(ready.flags, [{ name: 'banner', enabled: false }]);
    assert.equal(ready.state.stepIndex, 3);
    assert.deepEqual(ready.events.filter((e) => e.type === 'StepCompleted').map((e) => e.reason), ['step 2/4: setWeight 50', 'step 3/4: setFlag banner off']);
  });

  test('promote --full still sets the flags of the steps it skips', () => {
    const s = steps([{ setWeight: 20 }, { pause: {} }, { setFlag: { name: 'checkout', rollout: 50 } }, { setWeight: 60 }]);
    const paused = planCanary({ spec: s, state: rollingOut(s), observed: obs(T0 + 100, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    assert.equal(paused.state.phase, 'Paused');
    const full = planCanary({ spec: s, state: { ...paused.state, promote: 'full' }, observed: obs(T0 + 200, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    assert.deepEqual(full.flags, [{ name: 'checkout', rollout: 50 }]);
    assert.match(full.events.find((e) => e.type === 'Promoted')!.reason, /their flags set: checkout/);
  });

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

  const limits = { interval: 1000, maxErrorRate: 0.05, minRequests: 10 };
  const failedM = (at: number): MeasurementRecord => ({ phase: 'Failed', at, value: '0.5', message: 'failureCondition "result > 0.05" met' });
  const measured = (at: number, phase: MeasurementRecord['phase']): MeasurementRecord => (phase === 'Failed' ? failedM(at) : { phase, at, value: '0.01', message: 'x' });
  const rows: { name: string; failureLimit: number; before: number; verdict: 'Failed' | 'Successful' | 'Inconclusive'; aborted: boolean; failures: number }[] = [
    { name: 'failureLimit 0: first failure aborts', failureLimit: 0, before: 0, verdict: 'Failed', aborted: true, failures: 1 },
    { name: 'failureLimit 2: second failure is tolerated', failureLimit: 2, before: 1, verdict: 'Failed', aborted: false, failures: 2 },
    { name: 'failureLimit 2: third failure aborts', failureLimit: 2, before: 2, verdict: 'Failed', aborted: true, failures: 3 },
    { name: 'a success does not reset the count (Argo counts failures over the run)', failureLimit: 2, before: 2, verdict: 'Successful', aborted: false, failures: 2 },
    { name: 'inconclusive (too little traffic) changes nothing in the short form', failureLimit: 2, before: 2, verdict: 'Inconclusive', aborted: false, failures: 2 },
  ];
  for (const r of rows) {
    test(`analysis (short form): ${r.name}`, () => {
      const cfg = { ...limits, failureLimit: r.failureLimit };
      const s = { ...steps([{ setWeight: 25 }, { pause: {} }], { analysis: cfg }), templates: { [LEGACY_TEMPLATE]: legacyTemplate(cfg) } };
      let state = simulate(s, rollingOut(s), 3).state;
      assert.equal(state.analysisRuns[0]?.id, 'background', 'the background run started with the rollout');
      const at = T0 + 10_000;
      const feed = (n: number, phase: MeasurementRecord['phase'], t: number) =>
        planCanary({ spec: s, state, observed: obs(t, { 1: { ready: 4 }, 2: { ready: 1 } }, { measurements: Array.from({ length: n }, () => ({ run: 'background', metric: 'errorRate', measurement: measured(t, phase) })) }) });
      if (r.before > 0) state = feed(r.before, 'Failed', at).state;
      const plan = feed(1, r.verdict, at + 1000);
      assert.equal(plan.state.aborted, r.aborted);
      assert.equal(plan.state.analysisRuns[0]!.metrics[0]!.failed, r.failures);
      if (r.aborted) {
        assert.equal(plan.state.phase, 'Degraded');
        assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
        assert.equal(plan.state.desired.scale[2], undefined);
        assert.match(plan.events.find((e) => e.type === 'RolloutAborted')!.reason, /metric "errorRate" failed \d time\(s\) \(failureLimit \d\): 0.5, failureCondition "result > 0.05" met/);
      } else {
        assert.notEqual(plan.state.phase, 'Degraded');
      }
    });
  }

  const golden: TemplateConfig = {
    args: [],
    metrics: [{ name: 'ok', interval: 1000, count: 2, initialDelay: 0, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, successCondition: 'result >= 0.99', provider: { builtin: { metric: 'successRate', revision: 'canary', minRequests: 20 } } }],
  };

  test('an inline analysis step holds the steps until its run succeeds', () => {
    const s = { ...steps([{ setWeight: 20 }, { analysis: { templates: ['golden'], args: [] } }, { setWeight: 60 }, { pause: {} }]), templates: { golden } };
    let state = simulate(s, rollingOut(s), 4).state;
    assert.equal(state.stepIndex, 1, 'waiting at the analysis step');
    assert.equal(state.weightPercent, 20);
    assert.equal(state.analysisRuns[0]?.id, 'step-1');
    const tick = (t: number, phase: MeasurementRecord['phase']) => {
      state = planCanary({ spec: s, state, observed: obs(t, { 1: { ready: 4 }, 2: { ready: 4 } }, { measurements: [{ run: 'step-1', metric: 'ok', measurement: measured(t, phase) }] }) }).state;
    };
    tick(T0 + 10_000, 'Successful');
    assert.equal(state.stepIndex, 1, 'count 2: one measurement is not enough');
    tick(T0 + 11_000, 'Successful');
    assert.equal(state.analysisRuns[0]!.phase, 'Successful');
    assert.equal(state.stepIndex, 3, 'went on to setWeight 60 and the pause');
    assert.equal(state.weightPercent, 60);
  });

  test('an inconclusive inline analysis pauses for a person; promote accepts it', () => {
    const s = { ...steps([{ setWeight: 20 }, { analysis: { templates: ['golden'], args: [] } }, { setWeight: 60 }]), templates: { golden } };
    let state = simulate(s, rollingOut(s), 4).state;
    const inconclusive: MeasurementRecord = { phase: 'Inconclusive', at: T0 + 10_000, value: '-', message: '3 request(s) in the window, 20 needed' };
    const plan = planCanary({ spec: s, state, observed: obs(T0 + 10_000, { 1: { ready: 4 }, 2: { ready: 1 } }, { measurements: [{ run: 'step-1', metric: 'ok', measurement: inconclusive }] }) });
    state = plan.state;
    assert.equal(state.phase, 'Paused');
    assert.equal(state.aborted, false, 'inconclusive is not a failure');
    assert.match(state.message, /inconclusive 1 time\(s\).*20 needed/);
    assert.ok(plan.events.some((e) => e.type === 'AnalysisInconclusive'));
    const promoted = simulate(s, { ...state, promote: 'step' }, 3).state;
    assert.equal(promoted.stepIndex, 3);
    assert.equal(promoted.stable, 2, 'went on to completion');
  });

  test('background analysis from startingStep: no run before it', () => {
    const s = { ...steps([{ setWeight: 20 }, { pause: { duration: 5000 } }, { setWeight: 50 }, { pause: {} }], { analysis: { templates: ['golden'], args: [], startingStep: 2 } }), templates: { golden } };
    const before = simulate(s, rollingOut(s), 3).state;
    assert.equal(before.stepIndex, 1);
    assert.deepEqual(before.analysisRuns, []);
    const after = simulate(s, before, 8).state;
    assert.equal(after.stepIndex, 3);
    assert.deepEqual(after.analysisRuns.map((r) => [r.id, r.phase, r.revision, r.baseline]), [['background', 'Running', 2, 1]]);
  });

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
