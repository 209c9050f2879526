// What the status adds for the dashboard: the end of a timed pause and the migration of the current rollout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanaryStep } from '../../src/config/schema.ts';
import { initialState, startRollout } from '../../src/rollout/state.ts';
import { computeStatus, pauseEndsAt } from '../../src/rollout/status.ts';

const steps: CanaryStep[] = [{ setWeight: 20 }, { pause: { duration: 30_000 } }, { setWeight: 50 }, { pause: {} }];

test('pauseEndsAt: start of the pause plus its duration, only in a timed pause that the user did not pause', () => {
  const cases: Array<[string, { stepIndex: number; pauseStartedAt: number | null; userPaused: boolean }, number | null]> = [
    ['timed pause under way', { stepIndex: 1, pauseStartedAt: 1_000, userPaused: false }, 31_000],
    ['pause not started yet', { stepIndex: 1, pauseStartedAt: null, userPaused: false }, null],
    ['paused by the user too', { stepIndex: 1, pauseStartedAt: 1_000, userPaused: true }, null],
    ['untimed pause waits for promote', { stepIndex: 3, pauseStartedAt: 1_000, userPaused: false }, null],
    ['a setWeight step', { stepIndex: 2, pauseStartedAt: 1_000, userPaused: false }, null],
    ['all steps done', { stepIndex: 4, pauseStartedAt: null, userPaused: false }, null],
  ];
  for (const [name, state, want] of cases) assert.equal(pauseEndsAt(state, steps), want, name);
});

test('the status names the migration of the rollout until it is done', () => {
  const state = startRollout(initialState('web', 0), 2, 'canary', 0);
  const revs = (n: number) => ({ number: n, version: `v${n}` });
  const observed = { now: 0, revisions: {} };
  assert.equal(computeStatus(state, observed, revs, 4).migration, null);
  const env = {};
  assert.deepEqual(computeStatus({ ...state, migration: { file: '2_add.yaml', step: 'started', env } }, observed, revs, 4).migration, { file: '2_add.yaml', step: 'started' });
  assert.equal(computeStatus({ ...state, migration: { file: '2_add.yaml', step: 'done', env } }, observed, revs, 4).migration, null);
});
