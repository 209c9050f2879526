// Where analysis runs in the blue-green and rolling planners (the canary's are in canary.test.ts), and Argo's
// bookkeeping of a run: limits, counts, the worst metric deciding.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentSchema, shadowSchema, type BlueGreenConfig, type MetricConfig, type TemplateConfig } from '../../../src/config/schema.ts';
import { dueMetrics, recordMeasurement, startRun } from '../../../src/analysis/run.ts';
import { planRollout } from '../../../src/rollout/strategies/index.ts';
import type { MeasurementRecord } from '../../../src/store/records.ts';
import type { PlanSpec, RolloutState } from '../../../src/rollout/state.ts';
import { obs, rollingOut, simulate, spec, T0 } from './fixtures.ts';

const metric = (over: Partial<MetricConfig> = {}): MetricConfig => ({ name: 'm', interval: 1000, initialDelay: 0, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, provider: { builtin: { metric: 'successRate', revision: 'canary', minRequests: 20 } }, ...over });
const rec = (phase: MeasurementRecord['phase'], at: number): MeasurementRecord => ({ phase, at, value: '1', message: phase });
const t: TemplateConfig = { args: [], metrics: [metric({ count: 2 })] };
const ref = { templates: ['t'], args: [] };

describe('analysis run bookkeeping (Argo)', () => {
  const rows: { name: string; m: Partial<MetricConfig>; seq: MeasurementRecord['phase'][]; phase: string }[] = [
    { name: 'failureLimit 1: one failure is tolerated', m: { failureLimit: 1 }, seq: ['Failed', 'Successful'], phase: 'Running' },
    { name: 'failureLimit 1: the second failure fails, even after a success', m: { failureLimit: 1 }, seq: ['Failed', 'Successful', 'Failed'], phase: 'Failed' },
    { name: 'inconclusiveLimit 0: the first inconclusive ends the metric', m: {}, seq: ['Inconclusive'], phase: 'Inconclusive' },
    { name: 'consecutiveErrorLimit 4: five errors in a row are Error', m: {}, seq: ['Error', 'Error', 'Error', 'Error', 'Error'], phase: 'Error' },
    { name: 'errors not in a row are tolerated', m: {}, seq: ['Error', 'Error', 'Successful', 'Error', 'Error', 'Error'], phase: 'Running' },
    { name: 'count 2 reached: Successful', m: { count: 2 }, seq: ['Successful', 'Successful'], phase: 'Successful' },
    { name: 'count 2 with errors: errors do not count toward it', m: { count: 2 }, seq: ['Error', 'Successful'], phase: 'Running' },
    { name: 'no interval: measured once', m: { interval: undefined }, seq: ['Successful'], phase: 'Successful' },
    { name: 'count reached with nothing but inconclusive (within the limit): Inconclusive', m: { count: 2, inconclusiveLimit: 5 }, seq: ['Inconclusive', 'Inconclusive'], phase: 'Inconclusive' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const specs = [metric(r.m)];
      let run = startRun({ id: 'x', templates: ['t'], args: {}, revision: 2, baseline: 1, now: T0, metrics: specs });
      r.seq.forEach((p, i) => (run = recordMeasurement(run, specs, 'm', rec(p, T0 + i * 1000))));
      assert.equal(run.phase, r.phase);
    });
  }

  test('due: after initialDelay, then every interval; a measurement older than the run is not counted', () => {
    const specs = [metric({ initialDelay: 2000 })];
    let run = startRun({ id: 'x', templates: ['t'], args: {}, revision: 2, baseline: 1, now: T0, metrics: specs });
    assert.deepEqual(dueMetrics(run, specs, T0 + 1000), []);
    assert.equal(dueMetrics(run, specs, T0 + 2000).length, 1);
    assert.equal(recordMeasurement(run, specs, 'm', rec('Failed', T0 - 1)), run, 'from an earlier run of the same id');
    run = recordMeasurement(run, specs, 'm', rec('Successful', T0 + 2000));
    assert.deepEqual(dueMetrics(run, specs, T0 + 2500), []);
    assert.equal(dueMetrics(run, specs, T0 + 3000).length, 1);
  });
});

const bg = (c: Partial<BlueGreenConfig>): PlanSpec => ({
  ...spec({ blueGreen: { autoPromotionEnabled: true, autoPromotionSeconds: 0, scaleDownDelaySeconds: 30, previewHeader: 'x-cutover-preview', ...c } }, 2),
  templates: { t },
});
const measured = (state: RolloutState, s: PlanSpec, run: string, phase: MeasurementRecord['phase'], at: number) =>
  planRollout({ spec: s, state, observed: obs(at, { 1: { ready: 2 }, 2: { ready: 2 } }, { measurements: [{ run, metric: 'm', measurement: rec(phase, at) }] }) });

describe('blue-green analysis', () => {
  test('prePromotionAnalysis runs on the ready preview set; promotion waits for it; user traffic never moved before', () => {
    const s = bg({ prePromotionAnalysis: ref });
    let state = simulate(s, rollingOut(s), 4).state;
    assert.deepEqual(state.desired.weightsBp, { 1: 10000 }, 'auto-promotion held by the analysis');
    assert.deepEqual(state.analysisRuns.map((r) => [r.id, r.revision, r.phase]), [['prePromotion', 2, 'Running']]);
    assert.match(state.message, /prePromotionAnalysis t running/);
    state = measured(state, s, 'prePromotion', 'Successful', T0 + 10_000).state;
    assert.deepEqual(state.desired.weightsBp, { 1: 10000 });
    const done = measured(state, s, 'prePromotion', 'Successful', T0 + 11_000);
    assert.equal(done.state.stable, 2, 'promoted once the analysis succeeded');
    assert.deepEqual(done.state.desired.weightsBp, { 2: 10000 });
  });

  test('a failed prePromotionAnalysis aborts: the preview set goes, traffic never left stable', () => {
    const s = bg({ prePromotionAnalysis: ref });
    const state = simulate(s, rollingOut(s), 4).state;
    const plan = measured(state, s, 'prePromotion', 'Failed', T0 + 10_000);
    assert.equal(plan.state.phase, 'Degraded');
    assert.deepEqual(plan.state.desired.scale, { 1: 2 });
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
  });

  test('postPromotionAnalysis: traffic switched, previous set kept; success completes with the scale-down delay from then', () => {
    const s = bg({ postPromotionAnalysis: ref });
    let state = simulate(s, rollingOut(s), 4).state;
    assert.notEqual(state.switchedAt, null);
    assert.equal(state.stable, 1, 'not complete until the analysis passes');
    assert.deepEqual(state.desired.weightsBp, { 2: 10000 });
    assert.deepEqual(state.desired.scale, { 1: 2, 2: 2 });
    state = measured(state, s, 'postPromotion', 'Successful', T0 + 20_000).state;
    const done = measured(state, s, 'postPromotion', 'Successful', T0 + 21_000).state;
    assert.equal(done.stable, 2);
    assert.equal(done.old, 1);
    assert.equal(done.scaleDownAt, T0 + 51_000);
  });

  test('postPromotionAnalysis failure switches straight back to the previous set', () => {
    const s = bg({ postPromotionAnalysis: ref });
    const state = simulate(s, rollingOut(s), 4).state;
    const plan = measured(state, s, 'postPromotion', 'Failed', T0 + 20_000);
    assert.equal(plan.state.phase, 'Degraded');
    assert.equal(plan.state.stable, 1);
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
    assert.equal(plan.state.switchedAt, null);
    assert.match(plan.events.find((e) => e.type === 'RolloutAborted')!.reason, /analysis failed \(postPromotion\): metric "m" failed 1 time\(s\)/);
  });
});

describe('rolling analysis', () => {
  test('a background run of the new revision; a failure rolls back; completion waits for one measurement of each metric', () => {
    const s: PlanSpec = { ...spec({ rolling: { maxSurge: 1, maxUnavailable: 0, analysis: ref } }, 2), templates: { t } };
    const rolled = simulate(s, rollingOut(s), 8).state;
    assert.equal(rolled.stable, 1, 'all instances replaced, but not judged yet');
    assert.deepEqual(rolled.analysisRuns.map((r) => [r.id, r.revision, r.baseline]), [['background', 2, 1]]);
    const judged = planRollout({ spec: s, state: rolled, observed: obs(T0 + 20_000, { 2: { ready: 2 } }, { measurements: [{ run: 'background', metric: 'm', measurement: rec('Successful', T0 + 20_000) }] }) });
    assert.equal(judged.state.stable, 2);
    const failed = planRollout({ spec: s, state: rolled, observed: obs(T0 + 20_000, { 2: { ready: 2 } }, { measurements: [{ run: 'background', metric: 'm', measurement: rec('Failed', T0 + 20_000) }] }) });
    assert.equal(failed.state.phase, 'Degraded');
    assert.deepEqual(failed.state.desired.scale[1], 2, 'stable back to full scale');
  });
});

describe('shadow and experiment analysis', () => {
  const both = { 1: { ready: 2 }, 2: { ready: 2 } };
  const mirror = { compared: 500, differing: 0, shadowErrors: 0, dropped: 0 };
  const at = (now: number, run: string, phase: MeasurementRecord['phase'], extra = {}) => obs(now, both, { measurements: [{ run, metric: 'm', measurement: rec(phase, now) }], ...extra });

  test('shadow: a run from the first copy; the duration passes it only once each metric was measured; a failure fails the shadow', () => {
    const s: PlanSpec = { ...spec({ shadow: shadowSchema.parse({ duration: 3000, minCompared: 0, analysis: ref }) }, 2), templates: { t } };
    const waiting = simulate(s, rollingOut(s), 6).state;
    assert.deepEqual(waiting.analysisRuns.map((r) => [r.id, r.revision, r.baseline, r.phase]), [['shadow', 2, 1, 'Running']]);
    assert.equal(waiting.stable, 1, 'duration over, but nothing measured yet');
    const passed = planRollout({ spec: s, state: waiting, observed: at(T0 + 10_000, 'shadow', 'Successful', { mirror }) });
    assert.equal(passed.state.stable, 2);
    assert.equal(passed.state.analysisRuns[0]!.phase, 'Successful');
    const failed = planRollout({ spec: s, state: waiting, observed: at(T0 + 10_000, 'shadow', 'Failed', { mirror }) });
    assert.equal(failed.state.phase, 'Degraded');
    assert.deepEqual(failed.state.desired.scale, { 1: 2 });
    assert.ok(failed.events.some((e) => e.type === 'AnalysisRunFailed'));
  });

  test('shadow then rolling: the shadow run ends when it passes and the rolling strategy starts its own background run', () => {
    const s: PlanSpec = { ...spec({ shadow: shadowSchema.parse({ duration: 1000, minCompared: 0, analysis: ref, then: 'rolling' }), rolling: { maxSurge: 1, maxUnavailable: 0, analysis: ref } }, 2), templates: { t } };
    const waiting = simulate(s, rollingOut(s), 4).state;
    const passed = planRollout({ spec: s, state: waiting, observed: at(T0 + 10_000, 'shadow', 'Successful', { mirror }) });
    assert.equal(passed.state.strategy, 'rolling');
    const next = planRollout({ spec: s, state: passed.state, observed: obs(T0 + 11_000, both) });
    assert.deepEqual(next.state.analysisRuns.map((r) => [r.id, r.phase]), [['shadow', 'Successful'], ['background', 'Running']]);
  });

  test('experiment: a background guardrail while users are split; a failure moves every user back to stable', () => {
    const s: PlanSpec = { ...spec({ experiment: experimentSchema.parse({ split: 30, analysis: ref }) }, 2), templates: { t } };
    const running = simulate(s, rollingOut(s), 4).state;
    assert.deepEqual(running.analysisRuns.map((r) => [r.id, r.revision, r.baseline]), [['background', 2, 1]]);
    const failed = planRollout({ spec: s, state: running, observed: at(T0 + 10_000, 'background', 'Failed') });
    assert.equal(failed.state.phase, 'Degraded');
    assert.deepEqual(failed.state.desired.weightsBp, { 1: 10000 });
    const inconclusive = planRollout({ spec: s, state: running, observed: at(T0 + 10_000, 'background', 'Inconclusive') });
    assert.equal(inconclusive.state.phase, 'Paused');
    assert.match(inconclusive.state.message, /analysis inconclusive/);
    assert.deepEqual(inconclusive.state.desired.weightsBp, { 1: 7000, 2: 3000 }, 'still split; the decision is a person\'s');
    const chosen = planRollout({ spec: s, state: { ...inconclusive.state, promote: 'step', promoteVariant: 'a' }, observed: obs(T0 + 11_000, both) });
    assert.equal(chosen.state.stable, 1);
    assert.ok(chosen.state.analysisRuns.every((r) => r.phase !== 'Running'));
  });
});
