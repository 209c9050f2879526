import { Counter, Gauge, Registry } from 'prom-client';
import { ScrapeHistogram, type HistogramSeries } from './scrape-histogram.ts';
import type { CompiledRevision, CompiledTable } from './route-table.ts';
import type { ServiceStats } from './contract.ts';
import { DURATION_BUCKETS_S, STATUS_CLASSES, type TrafficWindow } from './traffic-window.ts';

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

type InstanceLabel = 'service' | 'revision' | 'version' | 'instance';
type RevisionLabel = Exclude<InstanceLabel, 'instance'>;
const INSTANCE_LABELS: readonly InstanceLabel[] = ['service', 'revision', 'version', 'instance'];
const REVISION_LABELS: readonly RevisionLabel[] = ['service', 'revision', 'version'];

/**
 * Prometheus exposition (docs/observability.md lists the metrics). Values are
 * filled at scrape time from the traffic windows, so requests never touch
 * prom-client (its label lookups would cost per request).
 *
 * Instance series and revision series have distinct names, so no series
 * carries an empty label and a PromQL `sum` never counts a request twice. The
 * revision series also count requests no instance answered (the proxy's own
 * 502/503/504), which have no instance to be filed under.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();

  constructor(table: () => CompiledTable) {
    const registers = [this.registry];
    new Counter<InstanceLabel | 'class'>({
      name: 'cutover_proxy_requests_total',
      help: 'Requests an instance was chosen for, by status class ("error": the proxy answered for it: connection failed, timeout, cut)',
      labelNames: [...INSTANCE_LABELS, 'class'],
      registers,
      collect() {
        this.reset();
        for (const { labels, w } of instanceWindows(table())) countClasses(w, (cls, v) => this.inc({ ...labels, class: cls }, v));
      },
    });
    new ScrapeHistogram<InstanceLabel>({
      name: 'cutover_proxy_request_duration_seconds',
      help: 'Time from the request head to the end of the answer, per instance',
      labelNames: INSTANCE_LABELS,
      buckets: DURATION_BUCKETS_S,
      registers,
      series: () => mapWindows(instanceWindows(table())),
    });
    new Gauge<InstanceLabel>({
      name: 'cutover_proxy_requests_in_flight',
      help: 'Requests being answered by the instance now',
      labelNames: INSTANCE_LABELS,
      registers,
      collect() {
        this.reset();
        for (const { labels, w } of instanceWindows(table())) this.set(labels, w.inflight);
      },
    });
    new Gauge<InstanceLabel>({
      name: 'cutover_proxy_instance_available',
      help: '1 when the instance gets traffic (ready, not ejected, not draining)',
      labelNames: INSTANCE_LABELS,
      registers,
      collect() {
        this.reset();
        for (const { labels, available } of instanceWindows(table())) this.set(labels, available ? 1 : 0);
      },
    });
    new Counter<RevisionLabel | 'class'>({
      name: 'cutover_proxy_revision_requests_total',
      help: 'Requests routed to the revision, including those no instance answered (the proxy\'s own 502/503/504)',
      labelNames: [...REVISION_LABELS, 'class'],
      registers,
      collect() {
        this.reset();
        for (const { labels, w } of revisionWindows(table())) countClasses(w, (cls, v) => this.inc({ ...labels, class: cls }, v));
      },
    });
    new ScrapeHistogram<RevisionLabel>({
      name: 'cutover_proxy_revision_request_duration_seconds',
      help: 'Time from the request head to the end of the answer, per revision (with the requests no instance answered)',
      labelNames: REVISION_LABELS,
      buckets: DURATION_BUCKETS_S,
      registers,
      series: () => mapWindows(revisionWindows(table())),
    });
    new Gauge<RevisionLabel>({
      name: 'cutover_proxy_revision_weight_ratio',
      help: 'Share of the service\'s weighted traffic the route table gives the revision, 0..1',
      labelNames: REVISION_LABELS,
      registers,
      collect() {
        this.reset();
        for (const svc of table().services.values())
          for (const rev of svc.revisions) this.set(revisionLabels(svc.name, rev), svc.totalWeightBp > 0 ? rev.weightBp / svc.totalWeightBp : 0);
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

interface LabelledWindow<L extends string> {
  labels: Record<L, string>;
  w: TrafficWindow;
}

function revisionLabels(service: string, rev: CompiledRevision): Record<RevisionLabel, string> {
  return { service, revision: rev.name, version: rev.version };
}

function* revisionWindows(table: CompiledTable): Generator<LabelledWindow<RevisionLabel>> {
  for (const svc of table.services.values()) for (const rev of svc.revisions) yield { labels: revisionLabels(svc.name, rev), w: rev.window };
}

function* instanceWindows(table: CompiledTable): Generator<LabelledWindow<InstanceLabel> & { available: boolean }> {
  for (const svc of table.services.values())
    for (const rev of svc.revisions)
      for (const u of rev.upstreams) yield { labels: { ...revisionLabels(svc.name, rev), instance: u.id }, w: u.window, available: u.available };
}

function* mapWindows<L extends string>(windows: Iterable<LabelledWindow<L>>): Generator<HistogramSeries<L>> {
  for (const { labels, w } of windows) yield { labels, counts: w.durationCounts, sum: w.durationSumS };
}

/** Every class, zeros included: a series that exists from the start makes `rate` and ratios work before the first error. */
function countClasses(w: TrafficWindow, inc: (cls: string, v: number) => void): void {
  for (let c = 0; c < STATUS_CLASSES.length; c++) inc(STATUS_CLASSES[c]!, w.totals[c]!);
}
