import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyIntent } from '../../../src/rollout/intents.ts';
import { planRollout } from '../../../src/rollout/strategies/index.ts';
import { eventTypes, obs, rollingOut, spec, T0 } from './fixtures.ts';

const DOWN = [{ host: 'host-2', why: 'its Docker Engine does not answer' }];

describe('a rollout holds while a host does not answer', () => {
  const s = spec({ canary: { steps: [{ setWeight: 25 }, { pause: { duration: 10_000 } }, { setWeight: 50 }] } }, 4);

  test('holds where it is, says which host once, and goes on with its pause clock moved by the hold', () => {
    // Paused at 25 % with a 10 s pause that started at T0+100.
    const at25 = planRollout({ spec: s, state: rollingOut(s), observed: obs(T0 + 100, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    assert.equal(at25.state.stepIndex, 1);
    assert.equal(at25.state.pauseStartedAt, T0 + 100);
    const desired = at25.state.desired;

    const held = planRollout({ spec: s, state: at25.state, observed: { ...obs(T0 + 1_000, { 1: { ready: 4 }, 2: { ready: 1 } }), unreachableHosts: DOWN } });
    assert.equal(held.state.phase, 'Paused');
    assert.match(held.state.message, /waiting for host-2/);
    assert.deepEqual(eventTypes([held]), ['HostUnreachable']);
    assert.match(held.events[0]!.reason, /host-2: its Docker Engine does not answer/);
    assert.deepEqual(held.state.desired, desired, 'same instances and weights while holding');

    // 20 s later the pause would have run out twice over: still held, and no second event.
    const still = planRollout({ spec: s, state: held.state, observed: { ...obs(T0 + 21_000, { 1: { ready: 4 }, 2: { ready: 1 } }), unreachableHosts: DOWN } });
    assert.equal(still.state.stepIndex, 1);
    assert.deepEqual(still.events, []);

    // Back at T0+21s: 20 s of hold are added to the pause, so 0.9 s of it had passed and it goes on waiting.
    const back = planRollout({ spec: s, state: still.state, observed: obs(T0 + 21_000, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    assert.deepEqual(eventTypes([back]), ['HostReachable']);
    assert.equal(back.state.heldForHosts, undefined);
    assert.equal(back.state.pauseStartedAt, T0 + 100 + 20_000);
    assert.equal(back.state.stepIndex, 1, 'the pause has 9.1 s left');
    const later = planRollout({ spec: s, state: back.state, observed: obs(T0 + 30_200, { 1: { ready: 4 }, 2: { ready: 2 } }) });
    assert.equal(later.state.stepIndex, 3, 'the pause ran out and the next setWeight passed');
  });

  test('a second host going away is a new event; abort is not held', () => {
    const at25 = planRollout({ spec: s, state: rollingOut(s), observed: obs(T0 + 100, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    const one = planRollout({ spec: s, state: at25.state, observed: { ...obs(T0 + 200, {}), unreachableHosts: DOWN } });
    const two = planRollout({ spec: s, state: one.state, observed: { ...obs(T0 + 300, {}), unreachableHosts: [...DOWN, { host: 'host-3', why: 'its proxy does not answer' }] } });
    assert.deepEqual(eventTypes([two]), ['HostUnreachable']);
    assert.match(two.state.message, /host-2, host-3/);
    const abort = applyIntent(two.state, { type: 'abort' }, T0 + 400);
    const aborted = planRollout({ spec: s, state: abort.state, observed: { ...obs(T0 + 400, { 1: { ready: 4 } }), unreachableHosts: DOWN } });
    assert.equal(aborted.state.heldForHosts, undefined);
    assert.equal(aborted.state.phase, 'Degraded');
    assert.equal(aborted.state.desired.weightsBp[1], 10_000, 'an abort takes the canary out at once');
  });

  test('a host named by its IPv6 address is named whole (its colons are part of the name)', () => {
    const at25 = planRollout({ spec: s, state: rollingOut(s), observed: obs(T0 + 100, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    const held = planRollout({ spec: s, state: at25.state, observed: { ...obs(T0 + 200, {}), unreachableHosts: [{ host: 'fd00::10', why: 'its proxy does not answer' }] } });
    assert.deepEqual(held.state.heldForHosts?.hosts, ['fd00::10']);
    assert.match(held.state.message, /waiting for fd00::10 /);
    const back = planRollout({ spec: s, state: held.state, observed: obs(T0 + 300, { 1: { ready: 4 }, 2: { ready: 1 } }) });
    assert.match(back.events[0]!.reason, /^fd00::10 answers again/);
  });

  test('nothing in progress: an unreachable host changes nothing', () => {
    const steady = { ...rollingOut(s), canary: null };
    const a = planRollout({ spec: s, state: steady, observed: obs(T0, { 1: { ready: 4 } }) });
    const b = planRollout({ spec: s, state: steady, observed: { ...obs(T0, { 1: { ready: 4 } }), unreachableHosts: DOWN } });
    assert.deepEqual(b, a);
  });
});
