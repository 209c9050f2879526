/**
 * The last 15 minutes of the proxy's per-revision figures, one sample a
 * second, kept in memory by the control API for the dashboard's charts
 * (`GET /api/v1/stats`) and pushed live on the stream. A controller restart
 * starts the history afresh.
 */
import type { ServiceStats } from '../proxy/contract.ts';

/** One revision's figures at one second: requests/s, error share 0..1, latency ms. */
export interface RevisionSample {
  rate: number;
  errorRate: number;
  p50: number;
  p99: number;
}

export interface TrafficSample {
  time: number;
  /** Revision number (as its route name, "3") → figures. */
  revisions: Record<string, RevisionSample>;
}

export const HISTORY_SAMPLES = 15 * 60;

export class TrafficHistory {
  private readonly byService = new Map<string, TrafficSample[]>();

  constructor(private readonly limit = HISTORY_SAMPLES) {}

  /** Adds one sample per service from a stats answer; returns the samples added, by service. */
  record(time: number, stats: ServiceStats[]): Record<string, TrafficSample> {
    const added: Record<string, TrafficSample> = {};
    for (const s of stats) {
      const revisions: Record<string, RevisionSample> = {};
      for (const [key, r] of Object.entries(s.revisions)) revisions[key] = { rate: r.rate, errorRate: r.errorRate, p50: r.p50, p99: r.p99 };
      const sample = { time, revisions };
      const list = this.byService.get(s.service) ?? [];
      list.push(sample);
      if (list.length > this.limit) list.splice(0, list.length - this.limit);
      this.byService.set(s.service, list);
      added[s.service] = sample;
    }
    return added;
  }

  /** Samples of a service newer than `since` (ms), oldest first. */
  samples(service: string, since = 0): TrafficSample[] {
    return (this.byService.get(service) ?? []).filter((s) => s.time > since);
  }
}
