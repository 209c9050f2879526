// Which flag changes a transition makes: flags move with the code (src/rollout/rollout-flags.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagTransition, recordSets } from '../../src/rollout/rollout-flags.ts';
import { initialState, type RolloutState } from '../../src/rollout/state.ts';

const before = { checkout: { name: 'checkout', enabled: false, strategies: [] } };
const base = (over: Partial<RolloutState>): RolloutState => ({ ...initialState('web', 0), ...over });
const rolling = base({ stable: 2, canary: 3, phase: 'Progressing', flagChanges: { revision: 3, before } });

test('flags are put back when the revision that set them stops serving, and kept when a newer one takes over', () => {
  const cases: Array<[string, Partial<RolloutState>, 'kept' | 'restored' | 'dropped']> = [
    ['the rollout goes on', { stable: 2, canary: 3, phase: 'Progressing' }, 'kept'],
    ['it completes (3 is stable, kept for a later undo)', { stable: 3, canary: null, phase: 'Healthy' }, 'kept'],
    ['it is aborted or fails (canary kept for retry)', { stable: 2, canary: 3, aborted: true, phase: 'Degraded' }, 'restored'],
    ['undo during the rollout (back to 2)', { stable: 2, canary: null, phase: 'Healthy' }, 'restored'],
    ['a deploy of 4 supersedes it', { stable: 2, canary: 4, phase: 'Progressing' }, 'restored'],
  ];
  for (const [what, next, want] of cases) {
    const t = flagTransition(rolling, base(next), []);
    const got = t.restore ? 'restored' : t.kept ? 'kept' : 'dropped';
    assert.equal(got, want, what);
    if (t.restore) assert.deepEqual(t.restore, before, what);
  }
  const stable3 = base({ stable: 3, canary: null, phase: 'Healthy', flagChanges: { revision: 3, before } });
  const undoTo2 = flagTransition(stable3, base({ stable: 2, canary: null, phase: 'Healthy' }), []);
  assert.deepEqual(undoTo2.restore, before, 'undo after completion (blue-green instant switch back to 2)');
  const newer = flagTransition(stable3, base({ stable: 4, canary: null, phase: 'Healthy' }), []);
  assert.equal(newer.restore, undefined, 'revision 4 completed: the flags are its now');
  assert.equal(newer.kept, undefined);
  assert.deepEqual(flagTransition(base({ stable: 2 }), base({ stable: 2, canary: 3 }), []), { sets: [], kept: undefined }, 'no record, nothing to do');
});

test('the record keeps the first definition from before of each flag, also across ticks and a superseded rollout', () => {
  const next = base({ stable: 2, canary: 3, phase: 'Progressing' });
  const first = recordSets(next, undefined, [{ name: 'checkout', rollout: 10 }], { checkout: before.checkout }, undefined);
  assert.deepEqual(first, { revision: 3, before: { checkout: before.checkout } });
  const later = recordSets(next, first, [{ name: 'checkout', rollout: 50 }, { name: 'fresh', enabled: true }], { checkout: { name: 'checkout', enabled: true, strategies: [] } }, undefined);
  assert.deepEqual(later, { revision: 3, before: { checkout: before.checkout, fresh: null } }, 'checkout keeps what it was before the rollout; fresh did not exist');
  const superseding = recordSets(base({ stable: 2, canary: 4 }), undefined, [{ name: 'checkout', rollout: 10 }], { checkout: { name: 'checkout', enabled: true, strategies: [] } }, before);
  assert.deepEqual(superseding, { revision: 4, before }, 'put back and set again in one transition: what it was put back to');
});
