/**
 * Analysis runs inside the planners, whatever the strategy: starting a run
 * where the strategy says (a canary step, the background, before or after a
 * blue-green switch), counting the measurements the controller observed, and
 * reading the outcome: a Failed or Error run aborts at once, an Inconclusive
 * one holds the rollout for a person (`cutover promote` accepts it). Pure.
 */
import type { AnalysisRef, LegacyAnalysis, BackgroundAnalysis, MetricConfig } from '../../config/schema.ts';
import { describeRun, recordMeasurement, resolveRun, startRun } from '../../analysis/run.ts';
import { argsOf, LEGACY_TEMPLATE, metricsOf } from '../../analysis/templates.ts';
import type { AnalysisRunState } from '../../store/records.ts';
import type { Observed, PlanSpec, PlannedEvent, RolloutState } from '../state.ts';

/** The metrics a run measures, from the templates it names. */
export function runMetrics(spec: PlanSpec, run: Pick<AnalysisRunState, 'templates'>): MetricConfig[] {
  return metricsOf(spec.templates ?? {}, run.templates);
}

/** A canary's background analysis in the templates form; the short form stands for the builtin template. */
export function backgroundRef(analysis: BackgroundAnalysis | LegacyAnalysis | undefined): BackgroundAnalysis | undefined {
  if (!analysis) return undefined;
  if ('templates' in analysis) return analysis;
  return { templates: [LEGACY_TEMPLATE], args: [], startingStep: 0 };
}

/**
 * Counts the measurements observed this tick into their runs. Each Failed or
 * Error measurement is an event (AnalysisFailed, AnalysisError); a run that
 * ends is one more (AnalysisSucceeded, AnalysisInconclusive; a Failed or
 * Error run is reported by the abort).
 */
export function countMeasurements(state: RolloutState, spec: PlanSpec, observed: Observed): { state: RolloutState; events: PlannedEvent[] } {
  const events: PlannedEvent[] = [];
  if (!observed.measurements?.length || state.analysisRuns.length === 0) return { state, events };
  const runs = state.analysisRuns.map((run) => {
    let next = run;
    const specs = runMetrics(spec, run);
    for (const o of observed.measurements!) {
      if (o.run !== run.id) continue;
      const before = next;
      next = recordMeasurement(next, specs, o.metric, o.measurement);
      if (next === before) continue;
      const m = o.measurement;
      if (m.phase === 'Failed' || m.phase === 'Error') {
        events.push({ type: m.phase === 'Failed' ? 'AnalysisFailed' : 'AnalysisError', reason: `${run.id}: metric "${o.metric}" ${m.value}: ${m.message}`, revision: run.revision });
      }
    }
    if (next.phase !== run.phase && (next.phase === 'Successful' || next.phase === 'Inconclusive')) {
      events.push({ type: next.phase === 'Successful' ? 'AnalysisSucceeded' : 'AnalysisInconclusive', reason: `${run.id}: ${next.phase === 'Successful' ? 'every metric passed' : describeRun(next, specs)}`, revision: run.revision });
    }
    return next;
  });
  return { state: { ...state, analysisRuns: runs }, events };
}

/** The run with this id, started now if the rollout has none yet. */
export function ensureRun(state: RolloutState, spec: PlanSpec, id: string, ref: AnalysisRef, revision: number, now: number): { state: RolloutState; run: AnalysisRunState; events: PlannedEvent[] } {
  const existing = state.analysisRuns.find((r) => r.id === id);
  if (existing) return { state, run: existing, events: [] };
  const templates = ref.templates;
  const run = startRun({ id, templates, args: argsOf(spec.templates ?? {}, templates, ref.args), revision, baseline: state.stable === revision ? state.old : state.stable, now, metrics: metricsOf(spec.templates ?? {}, templates) });
  const event: PlannedEvent = { type: 'AnalysisStarted', reason: `${id}: ${templates.join(', ')} (${run.metrics.map((m) => m.name).join(', ')})`, revision };
  return { state: { ...state, analysisRuns: [...state.analysisRuns, run] }, run, events: [event] };
}

/** The first run that ended Failed or Error, with the reason the abort carries. */
export function failedRun(state: RolloutState, spec: PlanSpec): { run: AnalysisRunState; reason: string } | null {
  const run = state.analysisRuns.find((r) => r.phase === 'Failed' || r.phase === 'Error');
  if (!run) return null;
  return { run, reason: `analysis ${run.phase === 'Failed' ? 'failed' : 'errored'} (${run.id}): ${describeRun(run, runMetrics(spec, run))}` };
}

/** The first Inconclusive run, which holds the rollout until a person promotes. */
export function inconclusiveRun(state: RolloutState): AnalysisRunState | undefined {
  return state.analysisRuns.find((r) => r.phase === 'Inconclusive');
}

/** Accepts every Inconclusive run (a person promoted); they count as Successful from now on. */
export function acceptInconclusive(state: RolloutState): RolloutState {
  return { ...state, analysisRuns: state.analysisRuns.map((r) => (r.phase === 'Inconclusive' ? resolveRun(r, 'inconclusive; accepted by promote') : r)) };
}

/** Ends the runs still going (the rollout completed): they stop being measured. */
export function endRuns(state: RolloutState, why: string): RolloutState {
  if (!state.analysisRuns.some((r) => r.phase === 'Running')) return state;
  return { ...state, analysisRuns: state.analysisRuns.map((r) => (r.phase === 'Running' ? resolveRun(r, why) : r)) };
}

/** The Paused state an Inconclusive run puts a rollout in. */
export function holdForPerson(state: RolloutState, run: AnalysisRunState): RolloutState {
  return { ...state, phase: 'Paused', message: `analysis inconclusive: ${run.message}; \`cutover promote\` accepts it, \`cutover abort\` rolls back` };
}
