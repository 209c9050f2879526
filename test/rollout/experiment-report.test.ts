// The experiment report's statistics on known data (values checked against a textbook two-proportion z-test).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentReport, normalCdf, normalQuantile, twoProportionTest } from '../../src/rollout/experiment-report.ts';

const close = (actual: number, expected: number, eps: number, what: string) => assert.ok(Math.abs(actual - expected) < eps, `${what}: ${actual} vs ${expected}`);

describe('experiment report', () => {
  test('normal distribution helpers', () => {
    close(normalCdf(0), 0.5, 1e-7, 'cdf(0)');
    close(normalCdf(1.959964), 0.975, 1e-6, 'cdf(1.96)');
    close(normalCdf(-1), 0.158655, 1e-6, 'cdf(-1)');
    close(normalQuantile(0.975), 1.959964, 1e-4, 'q(0.975)');
    close(normalQuantile(0.5), 0, 1e-6, 'q(0.5)');
  });

  test('two-proportion z-test: 100/1000 vs 130/1000', () => {
    const t = twoProportionTest(100, 1000, 130, 1000);
    close(t.diff, 0.03, 1e-12, 'diff');
    // pooled p = 0.115, se = sqrt(0.115*0.885*0.002) = 0.014267; z = 2.1028; two-sided p = 0.0355
    close(t.z, 2.1028, 1e-3, 'z');
    close(t.pValue, 0.0355, 5e-4, 'p');
    // unpooled se = sqrt(0.1*0.9/1000 + 0.13*0.87/1000) = 0.014251; 95 % CI = 0.03 ± 0.027932
    close(t.ci[0], 0.002068, 1e-5, 'ci low');
    close(t.ci[1], 0.057932, 1e-5, 'ci high');
  });

  test('no users: nothing significant, a full-width interval', () => {
    assert.deepEqual(twoProportionTest(0, 0, 5, 10).pValue, 1);
  });

  const counts = (a: [number, number], b: [number, number]) => ({
    variants: {
      a: { revision: '1', users: a[0], requests: a[0] * 3, errors: 3, goals: { checkout: a[1] } },
      b: { revision: '2', users: b[0], requests: b[0] * 3, errors: 0, goals: { checkout: b[1] } },
    },
  });

  test('a significant difference names the winner with its interval', () => {
    const r = experimentReport(counts([1000, 100], [1000, 130]), { a: 'stable', b: 'new' }, ['checkout']);
    assert.equal(r.goals[0]!.winner, 'b');
    assert.equal(r.verdict, 'b wins on checkout (+3.0 pts for b, CI +0.2 pts..+5.8 pts)');
    assert.equal(r.variants[0]!.goals.checkout!.rate, 0.1);
    assert.equal(r.variants[0]!.errorRate, 0.001);
  });

  test('the stable variant can win too', () => {
    const r = experimentReport(counts([2000, 300], [2000, 200]), { a: 'stable', b: 'new' }, ['checkout']);
    assert.equal(r.goals[0]!.winner, 'a');
  });

  test('a small difference on few users is "no significant difference yet"', () => {
    const r = experimentReport(counts([100, 10], [100, 12]), { a: 'stable', b: 'new' }, ['checkout']);
    assert.equal(r.goals[0]!.winner, undefined);
    assert.equal(r.verdict, 'no significant difference yet at 95 % confidence');
  });
});
