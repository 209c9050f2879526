import { Counter, Gauge, Registry } from 'prom-client';
import type { CompiledTable } from './route-table.ts';
import type { ServiceStats } from './contract.ts';
import { STATUS_CLASSES, type TrafficWindow } from './traffic-window.ts';

/** Figures for the controller, read from the same windows the hot path writes. */
export function collectStats(table: CompiledTable, now = Date.now()): ServiceStats[] {
  const out: ServiceStats[] = [];
  for (const svc of table.services.values()) {
    const revisions: ServiceStats['revisions'] = {};
    for (const rev of svc.revisions) {
      const instances: Record<string, ReturnType<TrafficWindow['snapshot']> & { healthy: boolean }> = {};
      for (const u of rev.upstreams) instances[u.id] = { ...u.window.snapshot(now), healthy: u.ready && !u.ejected };
      revisions[rev.name] = { ...rev.window.snapshot(now), instances };
    }
    out.push({ service: svc.name, revisions });
  }
  return out;
}

/**
 * Prometheus exposition. Values are filled at scrape time from the windows, so
 * requests never touch prom-client (its label lookups would cost per request).
 */
export class PrometheusMetrics {
  readonly registry = new Registry();

  constructor(table: () => CompiledTable) {
    const labels = ['service', 'revision', 'version', 'instance'] as const;
    const requests = new Counter({
      name: 'cutover_proxy_requests_total',
      help: 'Requests answered, by status class ("error" = proxy-side failure)',
      labelNames: [...labels, 'class'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { svc, rev, version, inst, w } of windows(table())) {
          for (let c = 0; c < STATUS_CLASSES.length; c++) {
            const v = w.totals[c]!;
            if (v > 0) this.inc({ service: svc, revision: rev, version, instance: inst, class: STATUS_CLASSES[c]! }, v);
          }
        }
      },
    });
    const inflight = new Gauge({
      name: 'cutover_proxy_inflight',
      help: 'Requests in flight',
      labelNames: labels,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { svc, rev, version, inst, w } of windows(table())) this.set({ service: svc, revision: rev, version, instance: inst }, w.inflight);
      },
    });
    const latency = new Gauge({
      name: 'cutover_proxy_latency_ms',
      help: 'Latency quantiles over the last 10 s, milliseconds',
      labelNames: [...labels, 'quantile'],
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const { svc, rev, version, inst, w } of windows(table())) {
          const s = w.snapshot(now);
          for (const [q, v] of [['0.5', s.p50], ['0.95', s.p95], ['0.99', s.p99]] as const) this.set({ service: svc, revision: rev, version, instance: inst, quantile: q }, v);
        }
      },
    });
    const healthy = new Gauge({
      name: 'cutover_proxy_instance_available',
      help: '1 when the instance gets traffic (ready, not ejected, not draining)',
      labelNames: labels,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const svc of table().services.values())
          for (const rev of svc.revisions)
            for (const u of rev.upstreams) this.set({ service: svc.name, revision: rev.name, version: rev.version, instance: u.id }, u.available ? 1 : 0);
      },
    });
    void [requests, inflight, latency, healthy];
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Revision windows (instance label "") and instance windows. */
function* windows(table: CompiledTable): Generator<{ svc: string; rev: string; version: string; inst: string; w: TrafficWindow }> {
  for (const svc of table.services.values()) {
    for (const rev of svc.revisions) {
      yield { svc: svc.name, rev: rev.name, version: rev.version, inst: '', w: rev.window };
      for (const u of rev.upstreams) yield { svc: svc.name, rev: rev.name, version: rev.version, inst: u.id, w: u.window };
    }
  }
}
