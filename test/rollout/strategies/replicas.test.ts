import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryReplicas, proportionalWeights, resolveIntOrPercent, resolveRolling, splitWeights } from '../../../src/rollout/strategies/replicas.ts';

describe('replica arithmetic', () => {
  const percents: [number | string, number, 'up' | 'down', number][] = [
    [2, 10, 'up', 2],
    ['25%', 10, 'up', 3],
    ['25%', 10, 'down', 2],
    ['100%', 3, 'down', 3],
    ['0%', 5, 'up', 0],
    ['33%', 3, 'up', 1],
    ['33%', 3, 'down', 0],
  ];
  for (const [value, replicas, round, want] of percents) {
    test(`resolveIntOrPercent(${value}, ${replicas}, ${round}) = ${want}`, () => {
      assert.equal(resolveIntOrPercent(value, replicas, round), want);
    });
  }

  test('resolveRolling rounds surge up and unavailable down, and never returns 0/0', () => {
    assert.deepEqual(resolveRolling({ maxSurge: '25%', maxUnavailable: '25%' }, 5), { surge: 2, unavailable: 1 });
    assert.deepEqual(resolveRolling({ maxSurge: 0, maxUnavailable: 0 }, 3), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveRolling({ maxSurge: '10%', maxUnavailable: '10%' }, 3), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveRolling({ maxSurge: 0, maxUnavailable: 9 }, 3), { surge: 0, unavailable: 3 });
  });

  const canary: [number, number, number][] = [
    [4, 0, 0],
    [4, 1, 1],
    [4, 10, 1],
    [4, 25, 1],
    [4, 26, 2],
    [4, 50, 2],
    [4, 100, 4],
    [10, 33, 4],
    [1, 5, 1],
  ];
  for (const [replicas, weight, want] of canary) {
    test(`canaryReplicas(${replicas}, ${weight}%) = ${want}`, () => assert.equal(canaryReplicas(replicas, weight), want));
  }

  test('proportionalWeights sums to exactly 10000', () => {
    assert.deepEqual(proportionalWeights({ 1: 2, 2: 1 }), { 1: 6667, 2: 3333 });
    assert.deepEqual(proportionalWeights({ 1: 1, 2: 1, 3: 1 }), { 1: 3334, 2: 3333, 3: 3333 });
    assert.deepEqual(proportionalWeights({ 1: 0, 2: 4 }), { 2: 10000 });
    assert.deepEqual(proportionalWeights({ 1: 0 }), {});
  });

  test('splitWeights gives the canary its percent and the stable the rest', () => {
    assert.deepEqual(splitWeights(1, 2, 25), { 1: 7500, 2: 2500 });
    assert.deepEqual(splitWeights(1, 2, 0), { 1: 10000 });
    assert.deepEqual(splitWeights(1, 2, 100), { 2: 10000 });
    assert.deepEqual(splitWeights(null, 2, 10), { 2: 10000 });
    assert.deepEqual(splitWeights(1, 2, 12.5), { 1: 8750, 2: 1250 });
  });
});
