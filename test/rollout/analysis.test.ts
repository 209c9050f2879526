import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalysisConfig } from '../../src/config/schema.ts';
import type { TrafficStats } from '../../src/proxy/contract.ts';
import { evaluate, type Verdict } from '../../src/rollout/analysis.ts';

function stats(requests: number, errorRate: number, p99: number): TrafficStats {
  return { requests, byClass: {}, inflight: 0, rate: requests / 10, errorRate, p50: p99 / 2, p95: p99, p99 };
}

const cfg: AnalysisConfig = { interval: 1000, maxErrorRate: 0.05, maxP99Ms: 200, minRequests: 20, failureLimit: 0 };

describe('canary analysis', () => {
  const rows: { name: string; stats?: TrafficStats; cfg?: Partial<AnalysisConfig>; error?: unknown; verdict: Verdict; metric?: string; reason?: RegExp }[] = [
    { name: 'healthy canary', stats: stats(100, 0.01, 50), verdict: 'Successful' },
    { name: 'error rate above the limit', stats: stats(100, 0.2, 50), verdict: 'Failed', metric: 'errorRate', reason: /errorRate 0.2 > 0.05 over 100 requests/ },
    { name: 'error rate exactly at the limit passes', stats: stats(100, 0.05, 50), verdict: 'Successful' },
    { name: 'p99 above the limit', stats: stats(100, 0, 350), verdict: 'Failed', metric: 'p99', reason: /p99 350ms > 200ms/ },
    { name: 'too few requests', stats: stats(5, 1, 999), verdict: 'Inconclusive', reason: /5 request\(s\)/ },
    { name: 'no traffic at all', verdict: 'Inconclusive' },
    { name: 'stats unreadable', error: new Error('ECONNREFUSED'), verdict: 'Error', reason: /ECONNREFUSED/ },
    { name: 'no limits configured', stats: stats(100, 0.9, 9000), cfg: { maxErrorRate: undefined, maxP99Ms: undefined }, verdict: 'Successful' },
    { name: 'minRequests 0 judges a quiet window', stats: stats(0, 0, 0), cfg: { minRequests: 0 }, verdict: 'Successful' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const m = evaluate(r.stats, { ...cfg, ...r.cfg }, r.error);
      assert.equal(m.verdict, r.verdict);
      if (r.metric) assert.equal(m.metric, r.metric);
      if (r.reason) assert.match(m.reason, r.reason);
    });
  }
});
