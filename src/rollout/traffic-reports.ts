/**
 * What a shadow or an experiment found, for `cutover shadow report` and `cutover experiment report`: the proxy's
 * figures for the service (src/proxy/contract.ts ServiceStats) read against the rollout's state and config. Pure.
 */
import type { ExperimentConfig } from '../config/schema.ts';
import type { MirrorReport, ServiceStats, TrafficStats } from '../proxy/contract.ts';
import { experimentReport, type ExperimentReport } from './experiment-report.ts';
import { revisionKey } from './route-builder.ts';
import type { RolloutState } from './state.ts';

export interface ShadowReport {
  service: string;
  /** The revision shadowed and the one users got; null when no shadow rollout is running. */
  shadowRevision: number | null;
  stableRevision: number | null;
  /** Counts, diff rate and the first differing samples; null until the proxy compared something. */
  comparison: (MirrorReport & { diffRate: number }) | null;
  /** Latency and errors over the proxy's window: stable's from users' requests, the shadow's from the copies. */
  stable: TrafficStats | null;
  shadow: TrafficStats | null;
}

export function shadowReport(state: RolloutState, stats: ServiceStats | undefined): ShadowReport {
  const shadowRev = state.strategy === 'shadow' && state.canary !== null && !state.aborted ? state.canary : null;
  const window = (n: number | null) => (n === null ? null : stripInstances(stats?.revisions[revisionKey(n)]));
  const m = stats?.mirror;
  return {
    service: state.service,
    shadowRevision: shadowRev,
    stableRevision: state.stable,
    comparison: m && shadowRev !== null && m.revision === revisionKey(shadowRev) ? { ...m, diffRate: m.compared === 0 ? 0 : m.differing / m.compared } : null,
    stable: window(state.stable),
    shadow: window(shadowRev),
  };
}

export function experimentReportFor(state: RolloutState, stats: ServiceStats | undefined, cfg: ExperimentConfig | undefined): (ExperimentReport & { service: string; running: boolean }) | null {
  if (!cfg || !stats?.experiment) return null;
  const report = experimentReport(stats.experiment, cfg.variants, cfg.goals.map((g) => g.name));
  return { service: state.service, running: state.strategy === 'experiment' && state.canary !== null && !state.aborted, ...report };
}

function stripInstances(s: (TrafficStats & { instances?: unknown }) | undefined): TrafficStats | null {
  if (!s) return null;
  const { instances: _, ...rest } = s;
  return rest;
}
