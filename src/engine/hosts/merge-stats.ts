/**
 * One view of several hosts' proxies, as if one proxy had served every request: counts and rates add up, the error
 * share and the percentiles are computed again from the summed counts and latency buckets (not averaged), instances
 * are each host's own. Mirror and experiment reports add up the same way; the first host's samples are kept.
 */
import type { MirrorReport, ServiceStats, TrafficStats } from '../../proxy/contract.ts';
import { bucketPercentile } from '../../proxy/traffic-window.ts';

export function mergeStats(perHost: ServiceStats[][]): ServiceStats[] {
  const byService = new Map<string, ServiceStats[]>();
  for (const list of perHost) for (const s of list) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  return [...byService.entries()].map(([service, list]) => {
    const revisions: ServiceStats['revisions'] = {};
    for (const key of new Set(list.flatMap((s) => Object.keys(s.revisions)))) {
      const parts = list.map((s) => s.revisions[key]).filter((r) => r !== undefined);
      revisions[key] = { ...mergeTraffic(parts), instances: Object.assign({}, ...parts.map((p) => p.instances)) };
    }
    const out: ServiceStats = { service, revisions };
    const mirrors = list.map((s) => s.mirror).filter((m) => m !== undefined);
    if (mirrors.length > 0) out.mirror = mergeMirror(mirrors);
    const experiments = list.map((s) => s.experiment).filter((e) => e !== undefined);
    if (experiments.length > 0) {
      const variants: NonNullable<ServiceStats['experiment']>['variants'] = {};
      for (const e of experiments) {
        for (const [name, v] of Object.entries(e.variants)) {
          const prev = variants[name];
          variants[name] = prev
            ? { revision: v.revision, users: prev.users + v.users, requests: prev.requests + v.requests, errors: prev.errors + v.errors, goals: sumRecord(prev.goals, v.goals) }
            : { ...v, goals: { ...v.goals } };
        }
      }
      out.experiment = { variants };
    }
    return out;
  });
}

export function mergeTraffic(parts: TrafficStats[]): TrafficStats {
  const requests = sum(parts.map((p) => p.requests));
  const byClass = parts.reduce<Record<string, number>>((acc, p) => sumRecord(acc, p.byClass), {});
  const failed = (byClass['5xx'] ?? 0) + (byClass.error ?? 0);
  const withBuckets = parts.every((p) => p.latencyBuckets !== undefined);
  const buckets = withBuckets ? parts.reduce<number[]>((acc, p) => p.latencyBuckets!.map((n, i) => n + (acc[i] ?? 0)), []) : undefined;
  // Without buckets (an older proxy) the worst host's percentile is the honest bound.
  const q = (k: 'p50' | 'p95' | 'p99', quantile: number) => (buckets ? bucketPercentile(buckets, sum(buckets), quantile) : Math.max(0, ...parts.map((p) => p[k])));
  return {
    requests,
    byClass,
    inflight: sum(parts.map((p) => p.inflight)),
    rate: sum(parts.map((p) => p.rate)),
    errorRate: requests > 0 ? failed / requests : 0,
    p50: q('p50', 0.5),
    p95: q('p95', 0.95),
    p99: q('p99', 0.99),
    ...(buckets ? { latencyBuckets: buckets } : {}),
  };
}

function mergeMirror(list: MirrorReport[]): MirrorReport {
  const first = list[0]!;
  const add = (k: 'mirrored' | 'dropped' | 'compared' | 'differing' | 'shadowErrors') => sum(list.map((m) => m[k]));
  return {
    revision: first.revision,
    mirrored: add('mirrored'),
    dropped: add('dropped'),
    compared: add('compared'),
    differing: add('differing'),
    shadowErrors: add('shadowErrors'),
    byKind: { status: sum(list.map((m) => m.byKind.status)), header: sum(list.map((m) => m.byKind.header)), body: sum(list.map((m) => m.byKind.body)) },
    samples: list.flatMap((m) => m.samples).sort((a, b) => a.at - b.at).slice(0, Math.max(...list.map((m) => m.samples.length))),
  };
}

function sumRecord(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
