// The comparative judge on known data: the statistics against values computed by hand, a slow or failing canary
// caught, and healthy canaries (same distribution as stable) never failed over many generated windows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, mannWhitneyPValue, medianMs, normalCdf, twoProportionPValue, type JudgeOptions, type Sample } from '../../src/analysis/judge.ts';
import { bucketOf, latencyBucketUpperMs } from '../../src/proxy/traffic-window.ts';

const opts: JudgeOptions = { confidence: 0.98, tolerance: 0.25, minRequests: 20, minLatencyDeltaMs: 5, bucketUpperMs: latencyBucketUpperMs };

/** A deterministic generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A window of `n` requests: log-normal latency around `medianMs`, `errorRate` share failing, bucketed as the proxy does. */
function sample(rand: () => number, n: number, medianMsValue: number, errorRate: number): Sample {
  const buckets = new Array<number>(80).fill(0);
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    buckets[bucketOf(medianMsValue * Math.exp(0.35 * z))]!++;
    if (rand() < errorRate) errors++;
  }
  return { requests: n, errors, buckets };
}

describe('statistics', () => {
  test('normal CDF matches tables', () => {
    for (const [z, p] of [[0, 0.5], [1.96, 0.975], [-1.645, 0.05], [2.326, 0.99]] as const) assert.ok(Math.abs(normalCdf(z) - p) < 1e-3, `Φ(${z})`);
  });

  test('two-proportion z-test against a hand computation', () => {
    // 30/200 vs 10/200, adjusted 31/202 = 0.15347 and 11/202 = 0.05446: se = sqrt(0.15347 × 0.84653 / 202 +
    // 0.05446 × 0.94554 / 202) = 0.029967, z = 0.09901 / 0.029967 = 3.304, p = 0.00048
    assert.ok(Math.abs(twoProportionPValue(30, 200, 10, 200) - 0.00048) < 0.00002, `${twoProportionPValue(30, 200, 10, 200)}`);
    assert.ok(twoProportionPValue(30, 200, 10, 200, 1.25) > twoProportionPValue(30, 200, 10, 200), 'a tolerance makes worse harder to show');
    assert.ok(twoProportionPValue(0, 100, 0, 100) > 0.4, 'no errors on either side: nothing to call');
    assert.equal(twoProportionPValue(0, 0, 5, 100), 1);
    assert.ok(twoProportionPValue(10, 200, 30, 200) > 0.99, 'one-sided: a canary better than stable is not worse');
  });

  test('Mann-Whitney U with ties against a hand computation', () => {
    // a = [2, 2, 3], b = [1, 1, 2] as bucket counts: ranks 1..6, ties in bucket 2 (midrank 4 for three values).
    // a ranks: 4, 4, 6 → R = 14, U = 14 - 6 = 8; mean 4.5; tie term 3³-3 = 24 and 2³-2 = 6;
    // σ² = 9/12 × (7 - 30/30) = 4.5; z = (8 - 4.5 - 0.5)/2.121 = 1.414 → p = 0.0786
    const p = mannWhitneyPValue([0, 0, 2, 1], [0, 2, 1, 0]);
    assert.ok(Math.abs(p - 0.0786) < 0.001, `p = ${p}`);
    assert.equal(mannWhitneyPValue([0, 5], [0, 7]), 1, 'all values tie');
    assert.equal(mannWhitneyPValue([], [0, 7]), 1);
  });

  test('median of a bucketed histogram is its bucket bound', () => {
    assert.equal(medianMs([0, 1, 5, 1], (b) => b * 10), 20);
    assert.equal(medianMs([], (b) => b), 0);
  });
});

describe('comparative judge', () => {
  test('a canary 300 ms slower than stable fails, with the statistics in the reason', () => {
    const rand = rng(1);
    const j = judge(sample(rand, 100, 320, 0), sample(rand, 900, 20, 0), opts);
    assert.equal(j.verdict, 'Failed');
    assert.match(j.reason, /median \d+(\.\d+)?ms vs \d+(\.\d+)?ms \(p=<0.0001\)/);
    assert.ok(j.stats.canaryMedianMs > 250 && j.stats.stableMedianMs < 30, JSON.stringify(j.stats));
  });

  test('a canary answering 20 % errors against 0.5 % fails on the error rate', () => {
    const rand = rng(2);
    const j = judge(sample(rand, 100, 20, 0.2), sample(rand, 900, 20, 0.005), opts);
    assert.equal(j.verdict, 'Failed');
    assert.match(j.reason, /error rate 0\.\d+ vs 0\.\d+/);
    assert.ok(j.stats.errorPValue < 0.001);
  });

  test('significant but immaterial: 5 % slower with many requests passes', () => {
    const rand = rng(3);
    const j = judge(sample(rand, 5000, 105, 0), sample(rand, 5000, 100, 0), opts);
    assert.equal(j.verdict, 'Successful', j.reason);
  });

  test('material but not significant: 2 errors in 25 requests against none passes', () => {
    const j = judge({ requests: 25, errors: 2, buckets: [0, 25] }, { requests: 25, errors: 0, buckets: [0, 25] }, opts);
    assert.ok(j.stats.errorPValue > 0.02, `p = ${j.stats.errorPValue}`);
    assert.equal(j.verdict, 'Successful');
  });

  test('too few requests on either side is Inconclusive, not Failed', () => {
    const rand = rng(4);
    assert.equal(judge(sample(rand, 5, 900, 1), sample(rand, 900, 20, 0), opts).verdict, 'Inconclusive');
    assert.equal(judge(sample(rand, 100, 900, 1), sample(rand, 10, 20, 0), opts).verdict, 'Inconclusive');
  });

  // One window is one measurement: at confidence 0.98 a plain test of "worse" fails about 2 % of healthy windows (a
  // rollout measuring every second would roll back most healthy canaries). Testing "more than 25 % worse" keeps
  // it to about one window in two thousand; failureLimit 1 on the metric makes a false rollback need two.
  test('healthy canaries are almost never failed: at most 1 in 1000 of 2000 windows drawn from the stable distribution', () => {
    const rand = rng(5);
    let failed = 0;
    for (let i = 0; i < 2000; i++) {
      const median = 1 + rand() * 200;
      const errorRate = rand() * 0.02;
      const n = 20 + Math.floor(rand() * 400);
      if (judge(sample(rand, n, median, errorRate), sample(rand, n * 9, median, errorRate), opts).verdict === 'Failed') failed++;
    }
    assert.ok(failed <= 2, `${failed} of 2000 healthy windows failed`);
  });

  test('slow canaries are caught in every window with enough requests: 200 windows, +300 ms', () => {
    const rand = rng(6);
    let caught = 0;
    for (let i = 0; i < 200; i++) {
      const median = 1 + rand() * 100;
      if (judge(sample(rand, 30 + Math.floor(rand() * 200), median + 300, 0), sample(rand, 900, median, 0), opts).verdict === 'Failed') caught++;
    }
    assert.equal(caught, 200);
  });
});
