/**
 * The comparative judge: canary against stable over the same window, the way
 * Kayenta compares canary and baseline. Error rates by a one-sided
 * two-proportion z-test of "canary more than tolerance worse than stable", latency by a one-sided Mann-Whitney U test on the
 * proxy's log-bucketed latency histograms (a bucket is a tie group: midranks
 * and the tie-corrected variance). The canary fails only when it is both
 * significantly worse (p-value below 1 - confidence) and materially worse
 * (relative tolerance; for latency also `minLatencyDeltaMs`). Pure.
 */

export interface Sample {
  requests: number;
  errors: number;
  /** Request counts per latency bucket (same bucket bounds for both samples). */
  buckets: number[];
}

export interface JudgeOptions {
  confidence: number;
  tolerance: number;
  minRequests: number;
  minLatencyDeltaMs: number;
  /** Upper bound (ms) of bucket b, to report medians. */
  bucketUpperMs: (b: number) => number;
}

export interface Judgement {
  verdict: 'Successful' | 'Failed' | 'Inconclusive';
  reason: string;
  stats: {
    canaryRequests: number;
    stableRequests: number;
    canaryErrorRate: number;
    stableErrorRate: number;
    errorPValue: number;
    canaryMedianMs: number;
    stableMedianMs: number;
    latencyPValue: number;
  };
}

/**
 * @example judge({ requests: 200, errors: 40, buckets }, { requests: 2000, errors: 2, buckets }, opts)
 * // { verdict: 'Failed', reason: 'error rate 0.2 vs 0.001 (p=...)', stats: { ... } }
 */
export function judge(canary: Sample, stable: Sample, opts: JudgeOptions): Judgement {
  const cRate = rate(canary.errors, canary.requests);
  const sRate = rate(stable.errors, stable.requests);
  const errorPValue = twoProportionPValue(canary.errors, canary.requests, stable.errors, stable.requests, 1 + opts.tolerance);
  const latencyPValue = mannWhitneyPValue(canary.buckets, stable.buckets);
  const cMedian = medianMs(canary.buckets, opts.bucketUpperMs);
  const sMedian = medianMs(stable.buckets, opts.bucketUpperMs);
  const stats = {
    canaryRequests: canary.requests,
    stableRequests: stable.requests,
    canaryErrorRate: round(cRate),
    stableErrorRate: round(sRate),
    errorPValue: round(errorPValue, 6),
    canaryMedianMs: cMedian,
    stableMedianMs: sMedian,
    latencyPValue: round(latencyPValue, 6),
  };
  if (canary.requests < opts.minRequests || stable.requests < opts.minRequests) {
    return { verdict: 'Inconclusive', stats, reason: `too few requests to compare: canary ${canary.requests}, stable ${stable.requests}, ${opts.minRequests} needed each` };
  }
  const alpha = 1 - opts.confidence;
  const rates = `error rate ${stats.canaryErrorRate} vs ${stats.stableErrorRate} (p=${fmtP(errorPValue)})`;
  const medians = `median ${cMedian}ms vs ${sMedian}ms (p=${fmtP(latencyPValue)})`;
  const errorsWorse = errorPValue < alpha;
  const slower = latencyPValue < alpha && cMedian > sMedian * (1 + opts.tolerance) && cMedian - sMedian >= opts.minLatencyDeltaMs;
  if (errorsWorse || slower) {
    const what = [errorsWorse ? rates : '', slower ? medians : ''].filter(Boolean).join('; ');
    return { verdict: 'Failed', stats, reason: `canary worse than stable: ${what}; confidence ${opts.confidence}, tolerance ${opts.tolerance * 100}%` };
  }
  return { verdict: 'Successful', stats, reason: `canary not worse than stable: ${rates}; ${medians}` };
}

/**
 * One-sided p-value that the first proportion is more than `ratio` times the second (ratio 1.25: "more than 25 %
 * worse"), so significance and materiality are one test: a z-test on Agresti-Caffo adjusted proportions (one
 * success and one failure added to each side), which keeps its level with the few errors a healthy window has.
 * 1 when either side has no requests.
 */
export function twoProportionPValue(x1: number, n1: number, x2: number, n2: number, ratio = 1): number {
  if (n1 === 0 || n2 === 0) return 1;
  const p1 = (x1 + 1) / (n1 + 2);
  const p2 = (x2 + 1) / (n2 + 2);
  const se = Math.sqrt((p1 * (1 - p1)) / (n1 + 2) + (ratio * ratio * p2 * (1 - p2)) / (n2 + 2));
  return 1 - normalCdf((p1 - ratio * p2) / se);
}

/**
 * One-sided p-value that values of `a` tend to be larger than values of `b`,
 * both given as counts per ordered bucket (every bucket a tie group): the
 * normal approximation of U with a continuity correction and the tie-corrected
 * variance. 1 when either side is empty or all values tie.
 */
export function mannWhitneyPValue(a: number[], b: number[]): number {
  const n1 = sum(a);
  const n2 = sum(b);
  if (n1 === 0 || n2 === 0) return 1;
  const n = n1 + n2;
  let below = 0;
  let rankSumA = 0;
  let ties = 0;
  const len = Math.max(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const t = (a[i] ?? 0) + (b[i] ?? 0);
    if (t === 0) continue;
    const midrank = below + (t + 1) / 2;
    rankSumA += (a[i] ?? 0) * midrank;
    ties += t ** 3 - t;
    below += t;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return 1;
  return 1 - normalCdf((u - mean - 0.5) / Math.sqrt(variance));
}

/** Upper bound (ms) of the bucket holding the median; 0 for an empty histogram. */
export function medianMs(buckets: number[], upperMs: (b: number) => number): number {
  const total = sum(buckets);
  if (total === 0) return 0;
  let seen = 0;
  for (let b = 0; b < buckets.length; b++) {
    seen += buckets[b]!;
    if (seen >= total / 2) return upperMs(b);
  }
  return upperMs(buckets.length - 1);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function rate(x: number, n: number): number {
  return n === 0 ? 0 : x / n;
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmtP(p: number): string {
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}
