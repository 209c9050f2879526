import type { TrafficStats } from './contract.ts';

/** Status classes counted per request; "error" is a proxy-side failure (no upstream answer). */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;
export type StatusClassIndex = 0 | 1 | 2 | 3 | 4;
export const ERROR_CLASS: StatusClassIndex = 4;
export const SERVER_ERROR_CLASS: StatusClassIndex = 3;

const SLOTS = 10;
const CLASSES = STATUS_CLASSES.length;
const BUCKETS = 80;
const ROW = CLASSES + BUCKETS;
const BASE_MS = 0.05;
const GROWTH = 1.2;
const LOG_GROWTH = Math.log(GROWTH);

/**
 * Upper bounds (seconds) of the Prometheus latency histogram: the usual HTTP
 * buckets, finer between 50 ms and 1 s where a canary's slowdown shows.
 */
export const DURATION_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60];
const DURATION_BOUNDS_MS = Float64Array.from(DURATION_BUCKETS_S, (s) => s * 1000);

export function statusClass(status: number): StatusClassIndex {
  if (status < 300) return 0;
  if (status < 400) return 1;
  if (status < 500) return 2;
  return 3;
}

/**
 * Counts and a log-scale latency histogram over a sliding window of ten
 * one-second slots. Recording touches preallocated typed arrays only, so the
 * hot path allocates nothing; percentiles are computed when stats are read.
 */
export class TrafficWindow {
  inflight = 0;
  /** Since start, for Prometheus counters. */
  readonly totals = new Float64Array(CLASSES);
  /**
   * Since start, for the Prometheus histogram: requests per latency bucket of
   * DURATION_BUCKETS_S (not cumulative; the last slot is above the largest bound).
   */
  readonly durationCounts = new Float64Array(DURATION_BUCKETS_S.length + 1);
  /** Since start, seconds: the histogram's _sum. */
  durationSumS = 0;
  private readonly rows = new Uint32Array(SLOTS * ROW);
  private readonly stamps = new Float64Array(SLOTS).fill(-1);

  record(cls: StatusClassIndex, latencyMs: number, nowMs: number, bucket = bucketOf(latencyMs)): void {
    const sec = Math.floor(nowMs / 1000);
    const slot = sec % SLOTS;
    const base = slot * ROW;
    if (this.stamps[slot] !== sec) {
      this.rows.fill(0, base, base + ROW);
      this.stamps[slot] = sec;
    }
    this.rows[base + cls]!++;
    this.rows[base + CLASSES + bucket]!++;
    this.totals[cls]!++;
    this.durationCounts[durationBucketOf(latencyMs)]!++;
    this.durationSumS += latencyMs / 1000;
  }

  /** Requests recorded since start (the histogram's _count). */
  count(): number {
    let n = 0;
    for (let c = 0; c < CLASSES; c++) n += this.totals[c]!;
    return n;
  }

  snapshot(nowMs: number): TrafficStats {
    const sec = Math.floor(nowMs / 1000);
    const merged = new Uint32Array(ROW);
    for (let s = 0; s < SLOTS; s++) {
      const stamp = this.stamps[s]!;
      if (stamp < 0 || stamp <= sec - SLOTS || stamp > sec) continue;
      const base = s * ROW;
      for (let i = 0; i < ROW; i++) merged[i]! += this.rows[base + i]!;
    }
    const byClass: Record<string, number> = {};
    let requests = 0;
    for (let c = 0; c < CLASSES; c++) {
      byClass[STATUS_CLASSES[c]!] = merged[c]!;
      requests += merged[c]!;
    }
    const failures = merged[3]! + merged[4]!;
    return {
      requests,
      byClass,
      inflight: this.inflight,
      rate: requests / SLOTS,
      errorRate: requests === 0 ? 0 : failures / requests,
      p50: percentile(merged, requests, 0.5),
      p95: percentile(merged, requests, 0.95),
      p99: percentile(merged, requests, 0.99),
      latencyBuckets: Array.from(merged.subarray(CLASSES)),
    };
  }
}

/** Histogram bucket of a latency; computed once per request and shared by the instance and revision windows. */
export function bucketOf(ms: number): number {
  if (ms <= BASE_MS) return 0;
  const b = Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH);
  return b >= BUCKETS ? BUCKETS - 1 : b;
}

/** Upper bound (ms) of latency bucket `b` (see `TrafficStats.latencyBuckets`). */
export function latencyBucketUpperMs(b: number): number {
  return Math.round(BASE_MS * GROWTH ** Math.min(b, BUCKETS - 1) * 1000) / 1000;
}

/** Index in durationCounts of a latency: the first bound it does not exceed (Prometheus's `le`). */
export function durationBucketOf(ms: number): number {
  const n = DURATION_BOUNDS_MS.length;
  for (let i = 0; i < n; i++) if (ms <= DURATION_BOUNDS_MS[i]!) return i;
  return n;
}

function percentile(merged: Uint32Array, total: number, q: number): number {
  return bucketPercentile(merged.subarray(CLASSES), total, q);
}

/** Upper bound (ms) of the latency bucket holding the q-quantile of `buckets` (`latencyBuckets`); 0 when there is no data. */
export function bucketPercentile(buckets: ArrayLike<number>, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += buckets[b] ?? 0;
    if (seen >= rank) return latencyBucketUpperMs(b);
  }
  return latencyBucketUpperMs(BUCKETS - 1);
}
