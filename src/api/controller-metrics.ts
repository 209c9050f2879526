/**
 * The controller's Prometheus metrics (docs/observability.md lists them).
 * Gauges are read from `ControlPlane.status()` at scrape time; counters and
 * the duration histogram fold the rollout events the store keeps, from where
 * the previous scrape stopped, so the controller itself keeps no metric state
 * and a scrape sees every event once. Analysis verdicts are not events (a
 * measurement per second would flood the log): `recordMeasurement` counts them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Verdict } from '../rollout/analysis.ts';
import type { ControlPlane, Phase, RolloutEvent } from '../rollout/types.ts';

export const PHASES: readonly Phase[] = ['Healthy', 'Progressing', 'Paused', 'Degraded'];
export const VERDICTS: readonly Verdict[] = ['Successful', 'Failed', 'Inconclusive', 'Error'];

/** Event types that end a rollout, and the outcome label each gives. */
export const OUTCOMES: Readonly<Record<string, string>> = { RolloutCompleted: 'completed', RolloutAborted: 'aborted', RolloutSuperseded: 'superseded' };
/** Event types that start (or restart) a rollout: its duration counts from the last one. */
const STARTS = new Set(['RolloutStarted', 'RolloutRetried']);

/** Rollouts last seconds to an hour; past that the +Inf bucket says enough. */
export const ROLLOUT_DURATION_BUCKETS_S = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

const EVENT_PAGE = 1000;

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly measurements: Counter<'service' | 'verdict'>;
  private readonly rollouts: Counter<'service' | 'outcome'>;
  private readonly durations: Histogram<'service' | 'outcome'>;
  /** Last event folded; events before this process started are not counted (counters start at 0 with the process). */
  private cursor: number | undefined;
  /** When the rollout in progress started, per service, as seen in the events. */
  private readonly startedAt = new Map<string, number>();

  constructor(private readonly control: ControlPlane) {
    const registers = [this.registry];
    const statuses = () => control.status();
    new Gauge<'service' | 'phase'>({
      name: 'cutover_rollout_phase',
      help: 'The rollout phase of the service: 1 on the current phase, 0 on the others',
      labelNames: ['service', 'phase'],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) for (const p of PHASES) this.set({ service: s.service, phase: p }, s.phase === p ? 1 : 0);
      },
    });
    new Gauge<'service'>({
      name: 'cutover_rollout_canary_weight_ratio',
      help: 'Share of traffic on the revision being rolled out, 0..1 (0 when none)',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) this.set({ service: s.service }, s.weight / 100);
      },
    });
    new Gauge<'service'>({
      name: 'cutover_rollout_step_index',
      help: 'Index of the current canary step (equals cutover_rollout_steps when all are done)',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) this.set({ service: s.service }, s.stepIndex);
      },
    });
    new Gauge<'service'>({
      name: 'cutover_rollout_steps',
      help: 'Number of canary steps of the service (0 for other strategies)',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) this.set({ service: s.service }, s.steps);
      },
    });
    new Gauge<'service' | 'role'>({
      name: 'cutover_rollout_revision',
      help: 'Number of the stable revision and of the revision being rolled out (role="canary"; absent when none)',
      labelNames: ['service', 'role'],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) {
          if (s.stableRevision) this.set({ service: s.service, role: 'stable' }, s.stableRevision.number);
          if (s.canaryRevision) this.set({ service: s.service, role: 'canary' }, s.canaryRevision.number);
        }
      },
    });
    this.measurements = new Counter({
      name: 'cutover_analysis_measurements_total',
      help: 'Analysis measurements, by verdict (Successful, Failed, Inconclusive, Error)',
      labelNames: ['service', 'verdict'],
      registers,
    });
    const fold = () => this.foldEvents();
    this.rollouts = new Counter({
      name: 'cutover_rollouts_total',
      help: 'Rollouts ended since the controller started, by outcome (completed, aborted, superseded)',
      labelNames: ['service', 'outcome'],
      registers,
      collect: fold,
    });
    this.durations = new Histogram({
      name: 'cutover_rollout_duration_seconds',
      help: 'Time from the start (or retry) of a rollout to its end, by outcome',
      labelNames: ['service', 'outcome'],
      buckets: ROLLOUT_DURATION_BUCKETS_S,
      registers,
      collect: fold,
    });
    this.cursor = control.events({ limit: 1 }).at(-1)?.id ?? 0;
  }

  /** Counts one analysis measurement; the controller calls it for every verdict. */
  recordMeasurement(service: string, verdict: Verdict): void {
    this.measurements.inc({ service, verdict });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Folds the events written since the last scrape into the counters. Idempotent within one scrape. */
  private foldEvents(): void {
    for (;;) {
      const page = this.control.events({ sinceId: this.cursor, limit: EVENT_PAGE });
      for (const e of page) this.fold(e);
      if (page.length > 0) this.cursor = page.at(-1)!.id;
      if (page.length < EVENT_PAGE) return;
    }
  }

  private fold(e: RolloutEvent): void {
    if (STARTS.has(e.type)) return void this.startedAt.set(e.service, e.time);
    const outcome = OUTCOMES[e.type];
    if (outcome === undefined) return;
    this.rollouts.inc({ service: e.service, outcome });
    const started = this.startedAt.get(e.service);
    if (started !== undefined) this.durations.observe({ service: e.service, outcome }, Math.max(0, e.time - started) / 1000);
    this.startedAt.delete(e.service);
  }
}
