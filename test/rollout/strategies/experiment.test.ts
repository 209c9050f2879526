import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentSchema } from '../../../src/config/schema.ts';
import { planExperiment } from '../../../src/rollout/strategies/experiment.ts';
import { eventTypes, obs, rollingOut, simulate, spec, T0 } from './fixtures.ts';

const exp = (c: Record<string, unknown> = {}) => spec({ experiment: experimentSchema.parse({ duration: 60_000, split: 30, ...c }) }, 2);
const both = { 1: { ready: 2 }, 2: { ready: 2 } };

describe('experiment planner', () => {
  test('both sets run; users are split only once the new set is fully ready, with the variants named', () => {
    const s = exp();
    const starting = planExperiment({ spec: s, state: rollingOut(s), observed: obs(T0, { 1: { ready: 2 }, 2: { ready: 1 } }) });
    assert.deepEqual(starting.state.desired.scale, { 1: 2, 2: 2 });
    assert.deepEqual(starting.state.desired.weightsBp, { 1: 10000 });
    assert.equal(starting.state.desired.experiment, null);
    const running = planExperiment({ spec: s, state: starting.state, observed: obs(T0 + 1000, both) });
    assert.deepEqual(running.state.desired.weightsBp, { 1: 7000, 2: 3000 });
    assert.deepEqual(running.state.desired.experiment, { variants: { a: 1, b: 2 } });
    assert.deepEqual(eventTypes([running]), ['ExperimentStarted']);
  });

  test('it never decides by itself: after its duration it waits, Paused, still split', () => {
    const s = exp({ duration: 3000 });
    const { state } = simulate(s, rollingOut(s), 8);
    assert.equal(state.phase, 'Paused');
    assert.equal(state.canary, 2);
    assert.deepEqual(state.desired.weightsBp, { 1: 7000, 2: 3000 });
  });

  test('promote --variant b makes the new revision stable', () => {
    const s = exp();
    const state = { ...rollingOut(s), previewReadyAt: T0, promote: 'step' as const, promoteVariant: 'b' };
    const plan = planExperiment({ spec: s, state, observed: obs(T0 + 5000, both) });
    assert.equal(plan.state.stable, 2);
    assert.deepEqual(plan.state.desired.weightsBp, { 2: 10000 });
    assert.deepEqual(eventTypes([plan]), ['ExperimentConcluded', 'RolloutCompleted']);
  });

  test('promote --variant a keeps stable, removes the new revision, and ends Healthy (not Degraded)', () => {
    const s = exp();
    const state = { ...rollingOut(s), previewReadyAt: T0, promote: 'step' as const, promoteVariant: 'a' };
    const plan = planExperiment({ spec: s, state, observed: obs(T0 + 5000, both) });
    assert.equal(plan.state.stable, 1);
    assert.equal(plan.state.canary, null);
    assert.equal(plan.state.phase, 'Healthy');
    assert.deepEqual(plan.state.desired.scale, { 1: 2 });
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 10000 });
    assert.deepEqual(eventTypes([plan]), ['ExperimentConcluded']);
  });

  test('variant names are the config\'s, whichever role they have', () => {
    const s = exp({ variants: { control: 'stable', treatment: 'new' } });
    const plan = planExperiment({ spec: s, state: rollingOut(s), observed: obs(T0, both) });
    assert.deepEqual(plan.state.desired.experiment, { variants: { control: 1, treatment: 2 } });
  });
});
