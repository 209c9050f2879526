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
