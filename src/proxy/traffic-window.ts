import type { TrafficStats } from './contract.ts';

/** Status classes counted per request; "error" is a proxy-side failure (no upstream answer). */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;
export type StatusClassIndex = 0 | 1 | 2 | 3 | 4;
export const ERROR_CLASS: StatusClassIndex = 4;

const SLOTS = 10;
const CLASSES = STATUS_CLASSES.length;
const BUCKETS = 80;
const ROW = CLASSES + BUCKETS;
const BASE_MS = 0.05;
const GROWTH = 1.2;
const LOG_GROWTH = Math.log(GROWTH);

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

/** Upper bound (ms) of the bucket holding the q-quantile; 0 when there is no data. */
function percentile(merged: Uint32Array, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += merged[CLASSES + b]!;
    if (seen >= rank) return latencyBucketUpperMs(b);
  }
  return latencyBucketUpperMs(BUCKETS - 1);
}
