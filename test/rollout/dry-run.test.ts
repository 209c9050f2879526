import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dryRun } from '../../src/rollout/dry-run.ts';
import { initialState } from '../../src/rollout/state.ts';
import { FULL_WEIGHT_BP } from '../../src/rollout/strategies/replicas.ts';
import { spec, T0 } from './strategies/fixtures.ts';

function stable(replicas: number) {
  const s = { ...initialState('web', T0), stable: 1, phase: 'Healthy' as const };
  s.desired.scale[1] = replicas;
  s.desired.weightsBp[1] = FULL_WEIGHT_BP;
  return s;
}

test('dry run of a canary lists every step to completion, promoting pauses', () => {
  const steps = dryRun(spec({ canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: { duration: 3000 } }] } }, 4), stable(4), 2, 'canary', T0);
  const types = steps.map((s) => s.type);
  assert.deepEqual(types.filter((t) => t !== 'Paused'), ['RolloutStarted', 'StepCompleted', 'Promoted', 'StepCompleted', 'StepCompleted', 'StepCompleted', 'RolloutCompleted']);
  assert.deepEqual(steps[1]!.weights, { 1: 80, 2: 20 });
  assert.deepEqual(steps.at(-1)!.scale, { 2: 4 });
  assert.deepEqual(steps.at(-1)!.weights, { 2: 100 });
});

test('dry run of a rolling update ends with the new revision at full scale', () => {
  const steps = dryRun(spec({ rolling: { maxSurge: 1, maxUnavailable: 0 } }, 3), stable(3), 2, 'rolling', T0);
  assert.equal(steps.at(-1)!.type, 'RolloutCompleted');
  assert.deepEqual(steps.at(-1)!.scale, { 2: 3 });
});

test('dry run of a canary with an analysis step shows the run starting and passing, then the rest', () => {
  const golden = { args: [], metrics: [{ name: 'ok', interval: 1000, count: 2, initialDelay: 0, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, provider: { builtin: { metric: 'successRate' as const, revision: 'canary' as const, minRequests: 20 } } }] };
  const s = { ...spec({ canary: { steps: [{ setWeight: 20 }, { analysis: { templates: ['golden'], args: [] } }, { setWeight: 60 }] } }, 4), templates: { golden } };
  const types = dryRun(s, stable(4), 2, 'canary', T0).map((x) => x.type);
  assert.deepEqual(types, ['RolloutStarted', 'StepCompleted', 'AnalysisStarted', 'AnalysisSucceeded', 'StepCompleted', 'StepCompleted', 'RolloutCompleted']);
});

test('dry run of a canary with setFlag steps shows each flag change where it happens', () => {
  const steps = dryRun(spec({ canary: { steps: [{ setWeight: 20 }, { setFlag: { name: 'checkout', rollout: 25 } }, { setWeight: 60 }, { setFlag: { name: 'old-banner', enabled: false } }] } }, 4), stable(4), 2, 'canary', T0);
  const flags = steps.filter((s) => s.type === 'FlagSet');
  assert.deepEqual(flags.map((s) => s.reason.split(' (')[0]), ['setFlag: checkout on for 25 % of users', 'setFlag: old-banner off']);
  assert.deepEqual(flags[0]!.weights, { 1: 80, 2: 20 }, 'the first flag changes once 20 % of traffic is on the canary');
  assert.equal(steps.at(-1)!.type, 'RolloutCompleted');
});
