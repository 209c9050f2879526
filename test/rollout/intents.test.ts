import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyIntent, checkIntent, type Intent } from '../../src/rollout/intents.ts';
import { initialState, type RolloutState } from '../../src/rollout/state.ts';
import { resolveUndo } from '../../src/rollout/undo.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Revision } from '../../src/rollout/types.ts';

const now = 5_000_000;
const healthy = (): RolloutState => ({ ...initialState('web', 1), stable: 1, phase: 'Healthy' });
const rolling = (): RolloutState => ({ ...healthy(), canary: 2, phase: 'Progressing', strategy: 'canary', stepIndex: 2, weightPercent: 30 });
const deploy = (revision: number): Intent => ({ type: 'deploy', revision, strategy: 'canary', migration: null, reason: 'deploy' });
const cfg = parseConfig({ services: { web: { listen: 8080, run: 'x' } } }).services.web!;
const revs = (...n: number[]) => n.map((number) => ({ number, version: `v${number}`, strategy: 'rolling' }) as Revision);

describe('intents', () => {
  const rejected: [string, RolloutState, Intent, string][] = [
    ['promote when Healthy', healthy(), { type: 'promote', full: false }, 'NO_ROLLOUT_IN_PROGRESS'],
    ['abort when Healthy', healthy(), { type: 'abort' }, 'NO_ROLLOUT_IN_PROGRESS'],
    ['abort of the first revision', { ...rolling(), stable: null }, { type: 'abort' }, 'NO_ROLLOUT_IN_PROGRESS'],
    ['resume when not paused', rolling(), { type: 'resume' }, 'NO_ROLLOUT_IN_PROGRESS'],
    ['retry without an abort', rolling(), { type: 'retry', migration: null }, 'NOTHING_TO_RETRY'],
    ['deploy with a pending migration', { ...rolling(), migration: { file: 'm', step: 'started', env: {} } }, deploy(3), 'MIGRATION_IN_PROGRESS'],
  ];
  for (const [name, state, intent, code] of rejected) {
    test(`rejects ${name} with ${code}`, () => assert.throws(() => checkIntent(state, intent), { code }));
  }

  test('a deploy during a rollout supersedes it and starts from step 0', () => {
    const r = applyIntent(rolling(), deploy(3), now);
    assert.equal(r.state.canary, 3);
    assert.equal(r.state.stepIndex, 0);
    assert.equal(r.state.weightPercent, 0);
    assert.deepEqual(r.events.map((e) => e.type), ['RolloutSuperseded', 'RolloutStarted']);
  });

  test('abort marks the rollout Degraded and its migration for rollback', () => {
    const r = applyIntent({ ...rolling(), migration: { file: 'm', step: 'started', env: {} } }, { type: 'abort' }, now);
    assert.equal(r.state.aborted, true);
    assert.equal(r.state.phase, 'Degraded');
    assert.equal(r.state.migration?.step, 'rollingBack');
  });

  test('retry restarts the aborted revision from step 0', () => {
    const aborted = applyIntent(rolling(), { type: 'abort' }, now).state;
    const r = applyIntent(aborted, { type: 'retry', migration: null }, now + 1);
    assert.equal(r.state.aborted, false);
    assert.equal(r.state.canary, 2);
    assert.equal(r.state.stepIndex, 0);
    assert.equal(r.state.progressAt, now + 1);
  });

  test('undo picks the stable during a rollout, the blue-green old set inside its window, else the previous revision', () => {
    assert.equal(resolveUndo(rolling(), revs(1, 2), cfg, undefined, now).revision, 1);
    const bg = { ...healthy(), stable: 2, old: 1, scaleDownAt: now + 10_000 };
    assert.deepEqual([resolveUndo(bg, revs(1, 2), cfg, undefined, now).revision, resolveUndo(bg, revs(1, 2), cfg, undefined, now).instant], [1, true]);
    assert.equal(resolveUndo({ ...bg, scaleDownAt: now - 1 }, revs(1, 2), cfg, undefined, now).instant, false);
    assert.equal(resolveUndo({ ...healthy(), stable: 3 }, revs(1, 2, 3), cfg, undefined, now).revision, 2);
    assert.throws(() => resolveUndo(healthy(), revs(1), cfg, undefined, now), { code: 'NOTHING_TO_UNDO' });
    assert.throws(() => resolveUndo(healthy(), revs(1), cfg, 7, now), { code: 'REVISION_NOT_FOUND' });
  });

  test('an instant undo swaps stable and old without a rollout', () => {
    const bg = { ...healthy(), stable: 2, old: 1, scaleDownAt: now + 10_000 };
    const r = applyIntent(bg, { type: 'undo', revision: 1, instant: true, scaleDownDelayMs: 30_000, strategy: 'blueGreen' }, now);
    assert.deepEqual([r.state.stable, r.state.old, r.state.canary, r.state.scaleDownAt], [1, 2, null, now + 30_000]);
    assert.deepEqual(r.events.map((e) => e.type), ['RolledBack']);
  });
});
