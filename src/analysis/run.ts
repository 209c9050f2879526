/**
 * The bookkeeping of an analysis run, as Argo Rollouts keeps an AnalysisRun:
 * per metric, counts of Successful, Failed, Inconclusive and Error
 * measurements; a metric ends Failed past failureLimit, Inconclusive past
 * inconclusiveLimit, Error past consecutiveErrorLimit errors in a row, and
 * Successful once it has taken `count` measurements (one when it has no
 * interval), or Inconclusive if none of them was Successful. The run is the worst of its metrics (Failed, Error, Inconclusive,
 * Running, Successful). Pure: the planners call it with the measurements the
 * controller took.
 */
import type { MetricConfig } from '../config/analysis-schema.ts';
import { MEASUREMENTS_KEPT, type AnalysisPhase, type AnalysisRunState, type MeasurementRecord, type MetricRunState } from '../store/records.ts';

/** A new run of `metrics` against `revision`, started at `now`. */
export function startRun(opts: { id: string; templates: string[]; args: Record<string, string>; revision: number; baseline: number | null; now: number; metrics: MetricConfig[] }): AnalysisRunState {
  return {
    id: opts.id,
    templates: opts.templates,
    args: opts.args,
    revision: opts.revision,
    baseline: opts.baseline,
    phase: 'Running',
    startedAt: opts.now,
    message: '',
    metrics: opts.metrics.map((m) => emptyMetric(m.name)),
  };
}

/** The run with one more measurement of `metric` counted and the phases reassessed. Unknown metrics are ignored. */
export function recordMeasurement(run: AnalysisRunState, specs: MetricConfig[], metric: string, m: MeasurementRecord): AnalysisRunState {
  const spec = specs.find((s) => s.name === metric);
  const i = run.metrics.findIndex((x) => x.name === metric);
  // A measurement started before this run (a run of the same id in an earlier rollout) is not counted.
  if (!spec || i < 0 || run.phase !== 'Running' || run.metrics[i]!.phase !== 'Running' || m.at < run.startedAt) return run;
  const metrics = run.metrics.slice();
  metrics[i] = assessMetric(spec, count(metrics[i]!, m));
  return withPhase({ ...run, metrics }, specs);
}

/**
 * Metrics of a running run due for a measurement at `now`: not ended, past
 * the initial delay, and `interval` after the last one (never a second time
 * without an interval).
 */
export function dueMetrics(run: AnalysisRunState, specs: MetricConfig[], now: number): MetricConfig[] {
  if (run.phase !== 'Running') return [];
  return specs.filter((spec) => {
    const m = run.metrics.find((x) => x.name === spec.name);
    if (!m || m.phase !== 'Running') return false;
    if (m.lastAt === null) return now >= run.startedAt + spec.initialDelay;
    return spec.interval !== undefined && now >= m.lastAt + spec.interval;
  });
}

/** The metric that ended the run (Failed, Error or Inconclusive), for events and messages. */
export function decidingMetric(run: AnalysisRunState): MetricRunState | undefined {
  return run.metrics.find((m) => m.phase === run.phase);
}

/** A run a person resolved (promote on an Inconclusive pause): counted as Successful from now on. */
export function resolveRun(run: AnalysisRunState, why: string): AnalysisRunState {
  return { ...run, phase: 'Successful', message: why, metrics: run.metrics.map((m) => (m.phase === 'Successful' ? m : { ...m, phase: 'Successful' })) };
}

/**
 * One line for events: the metric, its last value and what it was judged by.
 *
 * @example describeRun(run, specs) // 'metric "errorRate" failed 2 time(s) (failureLimit 1): 0.35, failureCondition "result > 0.2" met'
 */
export function describeRun(run: AnalysisRunState, specs: MetricConfig[]): string {
  const m = decidingMetric(run);
  if (!m) return `analysis ${run.phase}`;
  const spec = specs.find((s) => s.name === m.name);
  const last = m.measurements.at(-1);
  const why = last ? `${last.value}, ${last.message}` : 'no measurement';
  if (m.phase === 'Failed') return `metric "${m.name}" failed ${m.failed} time(s) (failureLimit ${spec?.failureLimit ?? 0}): ${why}`;
  if (m.phase === 'Error') return `metric "${m.name}" errored ${m.consecutiveError} time(s) in a row (consecutiveErrorLimit ${spec?.consecutiveErrorLimit ?? 4}): ${why}`;
  return `metric "${m.name}" inconclusive ${m.inconclusive} time(s) (inconclusiveLimit ${spec?.inconclusiveLimit ?? 0}): ${why}`;
}

function emptyMetric(name: string): MetricRunState {
  return { name, phase: 'Running', count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0, lastAt: null, measurements: [] };
}

function count(m: MetricRunState, r: MeasurementRecord): MetricRunState {
  const next: MetricRunState = { ...m, count: m.count + 1, lastAt: r.at, measurements: [...m.measurements, r].slice(-MEASUREMENTS_KEPT) };
  if (r.phase === 'Error') return { ...next, error: m.error + 1, consecutiveError: m.consecutiveError + 1 };
  next.consecutiveError = 0;
  if (r.phase === 'Successful') next.successful++;
  else if (r.phase === 'Failed') next.failed++;
  else next.inconclusive++;
  return next;
}

/** Argo's assessment of one metric after a measurement. */
function assessMetric(spec: MetricConfig, m: MetricRunState): MetricRunState {
  let phase: AnalysisPhase = 'Running';
  if (m.failed > spec.failureLimit) phase = 'Failed';
  else if (m.inconclusive > spec.inconclusiveLimit) phase = 'Inconclusive';
  else if (m.consecutiveError > spec.consecutiveErrorLimit) phase = 'Error';
  // Done measuring: Successful, unless not one measurement was (then nothing was shown either way).
  else if (m.count - m.error >= effectiveCount(spec)) phase = m.successful > 0 ? 'Successful' : 'Inconclusive';
  return { ...m, phase };
}

/** Measurements a metric takes: `count`, one without an interval, unbounded with an interval and no count. */
function effectiveCount(spec: MetricConfig): number {
  if (spec.count !== undefined) return spec.count;
  return spec.interval === undefined ? 1 : Number.POSITIVE_INFINITY;
}

const WORST: AnalysisPhase[] = ['Failed', 'Error', 'Inconclusive', 'Running', 'Successful'];

function withPhase(run: AnalysisRunState, specs: MetricConfig[]): AnalysisRunState {
  const present = run.metrics.filter((m) => specs.some((s) => s.name === m.name));
  const phase = WORST.find((p) => present.some((m) => m.phase === p)) ?? 'Successful';
  return { ...run, phase, message: phase === 'Running' || phase === 'Successful' ? run.message : describeRun({ ...run, phase }, specs) };
}
