import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, decideRestart, DEFAULT_RESTART_POLICY, isStable, type RestartPolicy } from '../../src/runtime/backoff.ts';

const p = DEFAULT_RESTART_POLICY;

describe('backoffDelay', () => {
  const cases: Array<[number, number]> = [
    [0, 250],
    [1, 500],
    [2, 1000],
    [3, 2000],
    [4, 4000],
    [5, 8000],
    [6, 10_000],
    [20, 10_000],
    [-1, 250],
  ];
  for (const [streak, want] of cases) {
    test(`failure ${streak} of a streak waits ${want} ms`, () => assert.equal(backoffDelay(streak, p), want));
  }
  test('factor and cap come from the policy', () => {
    const q: RestartPolicy = { ...p, initialDelayMs: 100, factor: 3, maxDelayMs: 1000 };
    assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelay(n, q)), [100, 300, 900, 1000]);
  });
});

describe('decideRestart', () => {
  const now = 100_000;
  const cases: Array<{ name: string; streak: number; readySince?: number; want: ReturnType<typeof decideRestart>; policy?: Partial<RestartPolicy> }> = [
    { name: 'first crash restarts after the initial delay', streak: 0, want: { streak: 1, delayMs: 250, crashLoop: false, giveUp: false } },
    { name: 'second crash without becoming stable doubles', streak: 1, want: { streak: 2, delayMs: 500, crashLoop: false, giveUp: false } },
    { name: 'third crash doubles again', streak: 2, want: { streak: 3, delayMs: 1000, crashLoop: false, giveUp: false } },
    { name: 'fourth crash after three restarts is a crash loop', streak: 3, want: { streak: 4, delayMs: 2000, crashLoop: true, giveUp: true } },
    { name: 'ready only briefly does not reset the streak', streak: 3, readySince: now - 9_999, want: { streak: 4, delayMs: 2000, crashLoop: true, giveUp: true } },
    { name: 'ready for stableAfterMs resets the streak', streak: 3, readySince: now - 10_000, want: { streak: 1, delayMs: 250, crashLoop: false, giveUp: false } },
    {
      name: 'a policy that does not give up keeps restarting a crash loop at the backoff',
      streak: 7,
      policy: { giveUpOnCrashLoop: false },
      want: { streak: 8, delayMs: 10_000, crashLoop: true, giveUp: false },
    },
    { name: 'crashLoopAfter 0 gives up at the first failure', streak: 0, policy: { crashLoopAfter: 0 }, want: { streak: 1, delayMs: 250, crashLoop: true, giveUp: true } },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(decideRestart(c.streak, c.readySince, now, { ...p, ...c.policy }), c.want));
  }
});

test('isStable needs a ready time at least stableAfterMs ago', () => {
  assert.equal(isStable(undefined, 50_000, p), false);
  assert.equal(isStable(40_000, 50_000, p), true);
  assert.equal(isStable(40_001, 50_000, p), false);
});
