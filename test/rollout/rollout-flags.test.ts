// Which flag changes a transition makes: flags move with the code (src/rollout/rollout-flags.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagTransition, recordSets } from '../../src/rollout/rollout-flags.ts';
import { initialState, type RolloutState } from '../../src/rollout/state.ts';

const before = { checkout: { name: 'checkout', enabled: false, strategies: [] } };
const on = { name: 'checkout', enabled: true, strategies: [] };
const base = (over: Partial<RolloutState>): RolloutState => ({ ...initialState('web', 0), ...over });
const rolling = base({ stable: 2, canary: 3, phase: 'Progressing', flagChanges: [{ revision: 3, before }] });

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
    const got = t.restore ? 'restored' : t.kept.length ? 'kept' : 'dropped';
    assert.equal(got, want, what);
    if (t.restore) assert.deepEqual(t.restore, before, what);
  }
  const stable3 = base({ stable: 3, canary: null, phase: 'Healthy', flagChanges: [{ revision: 3, before }] });
  assert.deepEqual(flagTransition(stable3, base({ stable: 2, canary: null, phase: 'Healthy' }), []).restore, before, 'undo after completion (blue-green instant switch back to 2)');
  const newer = flagTransition(stable3, base({ stable: 4, canary: null, phase: 'Healthy' }), []);
  assert.equal(newer.restore, undefined, 'revision 4 completed: the flags are its now');
  assert.deepEqual(newer.kept, []);
  assert.deepEqual(flagTransition(base({ stable: 2 }), base({ stable: 2, canary: 3 }), []), { sets: [], kept: [] }, 'no record, nothing to do');
});

test('a stable revision keeps its record while a newer canary records its own; each is put back in its turn', () => {
  const both = base({ stable: 3, canary: 4, phase: 'Progressing', flagChanges: [{ revision: 3, before }, { revision: 4, before: { checkout: on } }] });
  const abort4 = flagTransition(both, base({ stable: 3, canary: 4, aborted: true, phase: 'Degraded' }), []);
  assert.deepEqual(abort4.restore, { checkout: on }, '4 aborted: back to what 3 had set');
  assert.deepEqual(abort4.kept.map((r) => r.revision), [3], "3's record stays for a later undo");
  const undoBoth = flagTransition(both, base({ stable: 2, canary: null, phase: 'Healthy' }), []);
  assert.deepEqual(undoBoth.restore, before, 'both stop serving at once: the oldest definition from before wins');
});

test('the record keeps the first definition from before of each flag, also across ticks and a superseded rollout', () => {
  const first = recordSets([], 3, [{ name: 'checkout', rollout: 10 }], { checkout: before.checkout }, undefined);
  assert.deepEqual(first, [{ revision: 3, before: { checkout: before.checkout } }]);
  const later = recordSets(first, 3, [{ name: 'checkout', rollout: 50 }, { name: 'fresh', enabled: true }], { checkout: on, fresh: null }, undefined);
  assert.deepEqual(later, [{ revision: 3, before: { checkout: before.checkout, fresh: null } }], 'checkout keeps what it was before the rollout; fresh did not exist');
  const beside = recordSets(first, 4, [{ name: 'checkout', rollout: 80 }], { checkout: on }, undefined);
  assert.deepEqual(beside.map((r) => r.revision), [3, 4], "a newer canary's record goes beside the stable one's");
  const superseding = recordSets([], 4, [{ name: 'checkout', rollout: 10 }], { checkout: on }, before);
  assert.deepEqual(superseding, [{ revision: 4, before }], 'put back and set again in one transition: what it was put back to');
});
