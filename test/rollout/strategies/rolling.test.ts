import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planRolling } from '../../../src/rollout/strategies/rolling.ts';
import { planRollout } from '../../../src/rollout/strategies/index.ts';
import { eventTypes, obs, rollingOut, simulate, spec, T0 } from './fixtures.ts';

describe('rolling planner', () => {
  // Each row: config, replicas, observed ready (stable, new) given the previous desired scale → new desired scale.
  const rows: { name: string; surge: number | string; unavailable: number | string; replicas: number; prev: Record<number, number>; ready: Record<number, number>; want: Record<number, number> }[] = [
    { name: 'surge 1: first new instance beside all old', surge: 1, unavailable: 0, replicas: 3, prev: { 1: 3 }, ready: { 1: 3 }, want: { 1: 3, 2: 1 } },
    { name: 'surge 1: new not ready yet, nothing drains', surge: 1, unavailable: 0, replicas: 3, prev: { 1: 3, 2: 1 }, ready: { 1: 3, 2: 0 }, want: { 1: 3, 2: 1 } },
    { name: 'surge 1: new ready, one old drains and the next starts', surge: 1, unavailable: 0, replicas: 3, prev: { 1: 3, 2: 1 }, ready: { 1: 3, 2: 1 }, want: { 1: 2, 2: 2 } },
    { name: 'surge 2: two at a time', surge: 2, unavailable: 0, replicas: 4, prev: { 1: 4 }, ready: { 1: 4 }, want: { 1: 4, 2: 2 } },
    { name: 'surge 0, unavailable 1: an old one goes first', surge: 0, unavailable: 1, replicas: 3, prev: { 1: 3 }, ready: { 1: 3 }, want: { 1: 2, 2: 1 } },
    { name: 'surge 0, unavailable 1: then a new one fills the gap', surge: 0, unavailable: 1, replicas: 3, prev: { 1: 2, 2: 0 }, ready: { 1: 2 }, want: { 1: 2, 2: 1 } },
    { name: 'percentages: surge 25% of 4 = 1, unavailable 25% of 4 = 1', surge: '25%', unavailable: '25%', replicas: 4, prev: { 1: 4 }, ready: { 1: 4 }, want: { 1: 3, 2: 2 } },
    { name: 'unready old instances are removed without waiting', surge: 1, unavailable: 0, replicas: 3, prev: { 1: 3, 2: 1 }, ready: { 1: 1, 2: 0 }, want: { 1: 1, 2: 3 } },
    { name: 'both zero behaves as surge 1', surge: 0, unavailable: 0, replicas: 2, prev: { 1: 2 }, ready: { 1: 2 }, want: { 1: 2, 2: 1 } },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const s = spec({ rolling: { maxSurge: r.surge, maxUnavailable: r.unavailable } }, r.replicas);
      const state = rollingOut(s);
      state.desired.scale = r.prev;
      const plan = planRolling({ spec: s, state, observed: obs(T0 + 1000, Object.fromEntries(Object.entries(r.ready).map(([k, v]) => [k, { ready: v, running: r.prev[Number(k)] ?? 0 }]))) });
      const got = JSON.stringify(plan.state.desired.scale);
      for (const [rev, n] of Object.entries(r.want)) assert.equal(plan.state.desired.scale[Number(rev)] ?? 0, n, `revision ${rev} in ${got}`);
    });
  }

  test('weights follow ready instances per revision', () => {
    const s = spec({ rolling: { maxSurge: 1, maxUnavailable: 0 } }, 3);
    const state = rollingOut(s);
    state.desired.scale = { 1: 3, 2: 1 };
    const plan = planRolling({ spec: s, state, observed: obs(T0 + 1000, { 1: { ready: 3 }, 2: { ready: 1 } }) });
    // One old drains this tick, so 2 old + 1 new ready remain.
    assert.deepEqual(plan.state.desired.weightsBp, { 1: 6667, 2: 3333 });
  });

  test('converges: every replica replaced, availability never below replicas - maxUnavailable', () => {
    const s = spec({ rolling: { maxSurge: 1, maxUnavailable: 1 } }, 5);
    const { plans, state } = simulate(s, rollingOut(s), 20, (p) => {
      const ready = Object.values(p.state.desired.scale).reduce((a, b) => a + b, 0);
      assert.ok(ready >= 4, `total desired ${ready} below 4`);
      assert.ok(ready <= 6, `total desired ${ready} above replicas + surge`);
    });
    assert.equal(state.phase, 'Healthy');
    assert.equal(state.stable, 2);
    assert.equal(state.canary, null);
    assert.deepEqual(state.desired.scale, { 2: 5 });
    assert.deepEqual(state.desired.weightsBp, { 2: 10000 });
    assert.equal(eventTypes(plans).filter((t) => t === 'RolloutCompleted').length, 1);
  });

  test('the first revision starts all replicas at once', () => {
    const s = spec({ canary: { steps: [{ setWeight: 10 }] } }, 3);
    const state = { ...rollingOut(s), stable: null, strategy: 'canary' as const };
    state.desired.scale = {};
    const plan = planRollout({ spec: s, state, observed: obs(T0, {}) });
    assert.deepEqual(plan.state.desired.scale, { 2: 3 });
    assert.deepEqual(plan.state.desired.weightsBp, {});
  });

  test('progress deadline: a revision that never gets ready fails and stable keeps full scale and traffic', () => {
    const s = spec({ rolling: { maxSurge: 1, maxUnavailable: 0 } }, 3, 10);
    const state = rollingOut(s);
    state.desired.scale = { 1: 3, 2: 1 };
    const early = planRolling({ spec: s, state, observed: obs(T0 + 9000, { 1: { ready: 3 }, 2: { ready: 0, running: 1 } }) });
    assert.equal(early.state.aborted, false);
    const late = planRolling({ spec: s, state, observed: obs(T0 + 10_001, { 1: { ready: 3 }, 2: { ready: 0, running: 1 } }) });
    assert.equal(late.state.phase, 'Degraded');
    assert.deepEqual(late.state.desired.scale, { 1: 3 });
    assert.deepEqual(late.state.desired.weightsBp, { 1: 10000 });
    assert.deepEqual(late.events.map((e) => e.type), ['ProgressDeadlineExceeded', 'RolloutAborted']);
  });

  test('a crash-looping revision fails its rollout', () => {
    const s = spec({ rolling: { maxSurge: 1, maxUnavailable: 0 } }, 2);
    const state = rollingOut(s);
    state.desired.scale = { 1: 2, 2: 1 };
    const plan = planRolling({ spec: s, state, observed: obs(T0 + 100, { 1: { ready: 2 }, 2: { ready: 0, running: 1, crashLoop: true } }) });
    assert.equal(plan.state.phase, 'Degraded');
    assert.equal(plan.events[0]?.type, 'CrashLoop');
    assert.equal(plan.state.desired.scale[2], undefined);
  });

  test('paused by the user: scale and weights are held', () => {
    const s = spec({ rolling: { maxSurge: 1, maxUnavailable: 0 } }, 3);
    const state = { ...rollingOut(s), userPaused: true };
    state.desired.scale = { 1: 3, 2: 1 };
    const plan = planRolling({ spec: s, state, observed: obs(T0 + 100_000, { 1: { ready: 3 }, 2: { ready: 1 } }) });
    assert.equal(plan.state.phase, 'Paused');
    assert.deepEqual(plan.state.desired.scale, { 1: 3, 2: 1 });
  });
});

describe('rolling abort', () => {
  test('an abort keeps the new ready instances serving until stable is back at full strength', () => {
    const s = spec({ rolling: { maxSurge: 0, maxUnavailable: 1 } }, 3);
    const state = { ...rollingOut(s), aborted: true, phase: 'Degraded' as const };
    state.desired.scale = { 1: 0, 2: 3 };
    const first = planRollout({ spec: s, state, observed: obs(T0, { 1: { ready: 0 }, 2: { ready: 2, running: 3 } }) });
    assert.deepEqual(first.state.desired.scale, { 1: 3, 2: 2 });
    assert.deepEqual(first.state.desired.weightsBp, { 2: 10000 });
    const half = planRollout({ spec: s, state: first.state, observed: obs(T0 + 1, { 1: { ready: 2 }, 2: { ready: 2 } }) });
    assert.deepEqual(half.state.desired.scale, { 1: 3, 2: 1 });
    assert.deepEqual(half.state.desired.weightsBp, { 1: 6667, 2: 3333 });
    const done = planRollout({ spec: s, state: half.state, observed: obs(T0 + 2, { 1: { ready: 3 }, 2: { ready: 1 } }) });
    assert.deepEqual(done.state.desired.scale, { 1: 3 });
    assert.deepEqual(done.state.desired.weightsBp, { 1: 10000 });
    assert.equal(done.state.phase, 'Degraded');
  });
});

test('the first revision crash-looping is Degraded but keeps its desired scale', () => {
  const s = spec({ rolling: { maxSurge: 1, maxUnavailable: 0 } }, 2);
  const state = { ...rollingOut(s), stable: null };
  state.desired.scale = { 2: 2 };
  const plan = planRollout({ spec: s, state, observed: obs(T0 + 1000, { 2: { ready: 0, running: 2, crashLoop: true } }) });
  assert.equal(plan.state.phase, 'Degraded');
  assert.equal(plan.state.aborted, false);
  assert.deepEqual(plan.state.desired.scale, { 2: 2 });
});
