/**
 * Canary analysis: one measurement of the canary revision's traffic over the
 * proxy's sliding window, judged against the configured limits. The four
 * verdicts are Argo Rollouts': Successful, Failed, Inconclusive, Error. Pure.
 * The canary planner counts consecutive failures and aborts past failureLimit.
 */
import type { AnalysisConfig } from '../config/schema.ts';
import type { TrafficStats } from '../proxy/contract.ts';

export type Verdict = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface Measurement {
  verdict: Verdict;
  /** The metric that decided a Failed verdict. */
  metric?: 'errorRate' | 'p99';
  value?: number;
  limit?: number;
  requests: number;
  /** One line for events, e.g. "errorRate 0.12 > 0.05 over 240 requests". */
  reason: string;
}

/**
 * Judges one window of canary stats. `stats` undefined means the revision had
 * no traffic in the window; an `error` means the stats could not be read.
 *
 * @example evaluate({ requests: 100, errorRate: 0.2, p99: 40, ... }, { maxErrorRate: 0.05, minRequests: 20, ... })
 * // { verdict: 'Failed', metric: 'errorRate', value: 0.2, limit: 0.05, ... }
 */
export function evaluate(stats: TrafficStats | undefined, cfg: AnalysisConfig, error?: unknown): Measurement {
  if (error !== undefined) {
    return { verdict: 'Error', requests: 0, reason: `could not read canary stats: ${error instanceof Error ? error.message : String(error)}` };
  }
  const requests = stats?.requests ?? 0;
  if (!stats || requests < cfg.minRequests) {
    return { verdict: 'Inconclusive', requests, reason: `${requests} request(s) in the window, ${cfg.minRequests} needed` };
  }
  if (cfg.maxErrorRate !== undefined && stats.errorRate > cfg.maxErrorRate) {
    return failed('errorRate', round(stats.errorRate), cfg.maxErrorRate, requests);
  }
  if (cfg.maxP99Ms !== undefined && stats.p99 > cfg.maxP99Ms) {
    return failed('p99', round(stats.p99), cfg.maxP99Ms, requests);
  }
  return { verdict: 'Successful', requests, reason: `within limits over ${requests} requests` };
}

function failed(metric: 'errorRate' | 'p99', value: number, limit: number, requests: number): Measurement {
  const unit = metric === 'p99' ? 'ms' : '';
  return { verdict: 'Failed', metric, value, limit, requests, reason: `${metric} ${value}${unit} > ${limit}${unit} over ${requests} requests` };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
