/**
 * The controller side of analysis: takes the measurements the state's running
 * analysis runs are due for, off the reconcile tick (a command or a web check
 * may take seconds; the tick must not wait for them), and hands the finished
 * ones to the next tick as `Observed.measurements`, where the pure planners
 * count them. A metric is never measured twice at once, and a result not yet
 * counted keeps it busy, so the interval runs from the last counted one.
 */
import { dueMetrics } from '../analysis/run.ts';
import { measureMetric } from '../analysis/measure.ts';
import type { RevisionRef } from '../analysis/providers/index.ts';
import type { ServiceStats } from '../proxy/contract.ts';
import type { TrafficRouter } from './interfaces.ts';
import { previewServiceName } from './route-builder.ts';
import { inProgress, type ObservedMeasurement, type PlanSpec, type RolloutState } from './state.ts';
import { runMetrics } from './strategies/analysis-runs.ts';

export interface MeasurerDeps {
  service: string;
  router: Pick<TrafficRouter, 'stats'>;
  /** The version label of a revision number. */
  versionOf: (revision: number) => string;
  /** A measurement finished: run a tick to count it. */
  onMeasured: () => void;
}

export class Measurer {
  private readonly busy = new Set<string>();
  private finished: { key: string; observed: ObservedMeasurement }[] = [];
  private readonly aborter = new AbortController();

  constructor(private readonly deps: MeasurerDeps) {}

  /** The measurements finished since the last call. */
  take(): ObservedMeasurement[] {
    const out = this.finished;
    this.finished = [];
    for (const f of out) this.busy.delete(f.key);
    return out.map((f) => f.observed);
  }

  /** Starts every measurement due at `now` for the rollout's running analysis runs. */
  schedule(state: RolloutState, spec: PlanSpec, now: number): void {
    if (!inProgress(state) || this.aborter.signal.aborted) return;
    let stats: Promise<ServiceStats[]> | undefined;
    const readStats = () => (stats ??= Promise.resolve(this.deps.router.stats()));
    for (const run of state.analysisRuns) {
      for (const metric of dueMetrics(run, runMetrics(spec, run), now)) {
        const key = `${run.id}\0${run.startedAt}\0${metric.name}`;
        if (this.busy.has(key)) continue;
        this.busy.add(key);
        const ctx = { service: this.deps.service, statsNames: [this.deps.service, previewServiceName(this.deps.service)], revision: this.ref(run.revision), baseline: run.baseline === null ? null : this.ref(run.baseline), stats: readStats, signal: this.aborter.signal };
        void measureMetric(metric, ctx, run.args, now).then((measurement) => {
          if (this.aborter.signal.aborted) return;
          this.finished.push({ key, observed: { run: run.id, metric: metric.name, measurement } });
          this.deps.onMeasured();
        });
      }
    }
  }

  /** Abandons the measurements in flight (commands are killed). */
  stop(): void {
    this.aborter.abort();
  }

  private ref(revision: number): RevisionRef {
    return { number: revision, version: this.deps.versionOf(revision) };
  }
}
