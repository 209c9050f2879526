/**
 * The builtin provider: figures of one revision from the proxy's window
 * (`TrafficRouter.stats()`, keyed by `revisionKey`), or, with
 * `compare: stable`, the comparative judge of canary against stable over the
 * same window. A window with fewer than `minRequests` requests is
 * Inconclusive: too little traffic says nothing either way.
 */
import type { BuiltinCompare, BuiltinMetric } from '../../config/analysis-schema.ts';
import type { TrafficStats } from '../../proxy/contract.ts';
import { latencyBucketUpperMs } from '../../proxy/traffic-window.ts';
import { judge } from '../judge.ts';
import type { MeasureContext, MetricProvider, ProviderResult, RevisionRef } from './provider.ts';

export class BuiltinProvider implements MetricProvider {
  constructor(private readonly cfg: BuiltinMetric | BuiltinCompare) {}

  async measure(ctx: MeasureContext): Promise<ProviderResult> {
    const all = await ctx.stats();
    // The revision's figures where it has the most requests: its service, or the preview listener's (before a switch).
    const of = (rev: RevisionRef | null): TrafficStats | undefined => {
      if (!rev) return undefined;
      const found = ctx.statsNames.map((name) => all.find((s) => s.service === name)?.revisions[String(rev.number)]).filter((s) => s !== undefined);
      return found.sort((a, b) => b.requests - a.requests)[0];
    };
    if ('compare' in this.cfg) return compare(this.cfg, of(ctx.revision), ctx.baseline ? of(ctx.baseline) : undefined, ctx.baseline !== null);
    const rev = this.cfg.revision === 'stable' ? ctx.baseline : ctx.revision;
    const s = of(rev);
    const requests = s?.requests ?? 0;
    if (!s || requests < this.cfg.minRequests) {
      return { value: null, verdict: 'Inconclusive', message: `${requests} request(s) in the window, ${this.cfg.minRequests} needed`, stats: { requests } };
    }
    return { value: figure(this.cfg.metric, s), stats: { requests } };
  }
}

/** The figure a builtin metric names, from one revision's window. */
export function figure(metric: BuiltinMetric['metric'], s: TrafficStats): number {
  switch (metric) {
    case 'successRate':
      return round(1 - s.errorRate);
    case 'errorRate':
      return round(s.errorRate);
    case 'requestRate':
      return round(s.rate);
    case 'latencyP50Ms':
      return s.p50;
    case 'latencyP95Ms':
      return s.p95;
    case 'latencyP99Ms':
      return s.p99;
  }
}

function compare(cfg: BuiltinCompare, canary: TrafficStats | undefined, stable: TrafficStats | undefined, hasBaseline: boolean): ProviderResult {
  if (!hasBaseline) return { value: null, verdict: 'Inconclusive', message: 'no stable revision to compare with' };
  const sample = (s: TrafficStats | undefined) => ({ requests: s?.requests ?? 0, errors: (s?.byClass['5xx'] ?? 0) + (s?.byClass['error'] ?? 0), buckets: s?.latencyBuckets ?? [] });
  if ((canary && !canary.latencyBuckets) || (stable && !stable.latencyBuckets)) throw new Error('the proxy does not report latency buckets (an older version); upgrade it to use compare: stable');
  const j = judge(sample(canary), sample(stable), { ...cfg, bucketUpperMs: latencyBucketUpperMs });
  return { value: j.stats.latencyPValue, verdict: j.verdict, message: j.reason, stats: j.stats };
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}
