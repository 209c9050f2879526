/**
 * Transitions every strategy shares: the steady state between rollouts,
 * failing a rollout (abort, crash loop, progress deadline, analysis), and
 * completing one. Pure: time comes from `observed.now`.
 */
import type { Observed, Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { emptyDesired } from '../state.ts';
import { FULL_WEIGHT_BP, proportionalWeights } from './replicas.ts';
import { countMeasurements, endRuns, failedRun } from './analysis-runs.ts';

/**
 * No rollout in progress (none started, finished, or aborted): the stable
 * revision runs `replicas` instances with all traffic; an aborted canary runs
 * none; a blue-green old set stays until its scale-down time.
 *
 * @example planSteady({ spec: { replicas: 2, ... }, state: { stable: 1, canary: null, ... }, observed })
 * // desired.scale = { 1: 2 }, desired.weightsBp = { 1: 10000 }, phase Healthy
 */
export function planSteady(input: PlanInput): Plan {
  const { spec, observed } = input;
  const state: RolloutState = { ...input.state, desired: emptyDesired(), weightPercent: 0 };
  const events: PlannedEvent[] = [];
  if (state.stable !== null) {
    state.desired.scale[state.stable] = spec.replicas;
    state.desired.weightsBp[state.stable] = FULL_WEIGHT_BP;
  }
  if (state.old !== null) {
    if (state.scaleDownAt !== null && observed.now >= state.scaleDownAt) {
      events.push({ type: 'ScaledDownOld', reason: `scale-down delay over; old revision ${state.old} removed`, revision: state.old });
      state.old = null;
      state.scaleDownAt = null;
    } else {
      state.desired.scale[state.old] = spec.replicas;
    }
  }
  if (state.aborted) keepServingUntilStableReady(state, input);
  if (!state.aborted && state.stable !== null) {
    state.phase = 'Healthy';
    state.message = `revision ${state.stable} serves all traffic`;
  }
  return { state, events };
}

/**
 * After an abort the stable revision may be short of ready instances (a
 * rolling update had already replaced some). Until it is back, the aborted
 * revision's ready instances keep serving, in proportion, instead of leaving
 * too few (or no) instances for the traffic. With a fully ready stable this
 * keeps nothing: the canary's weight is 0 at once.
 */
function keepServingUntilStableReady(state: RolloutState, input: PlanInput): void {
  const { canary, stable } = state;
  if (canary === null || stable === null || canary === stable) return;
  const R = input.spec.replicas;
  const stableReady = Math.min(R, readyOf(input.observed, stable));
  const keep = Math.min(readyOf(input.observed, canary), R - stableReady);
  if (keep <= 0) return;
  state.desired.scale[canary] = keep;
  state.desired.weightsBp = proportionalWeights({ [stable]: stableReady, [canary]: keep });
}

/**
 * Ends the rollout in Degraded: canary weight 0 at once, canary scaled to 0,
 * stable back to full scale. `cause` (if any) is recorded before RolloutAborted.
 */
export function failRollout(input: PlanInput, reason: string, cause?: PlannedEvent): Plan {
  const revision = input.state.canary ?? undefined;
  const aborted: RolloutState = { ...input.state, aborted: true, promote: 'none', userPaused: false, switchedAt: null };
  const { state, events } = planSteady({ ...input, state: aborted });
  state.phase = 'Degraded';
  state.message = reason;
  if (state.migration && state.migration.step === 'started') state.migration = { ...state.migration, step: 'rollingBack' };
  const all = cause ? [cause] : [];
  all.push({ type: 'RolloutAborted', reason, ...(revision !== undefined ? { revision } : {}) }, ...events);
  return { state, events: all };
}

/**
 * An analysis run that ended Failed or Error aborts the rollout at once (canary traffic to 0, or a blue-green switch
 * straight back), naming the metric, value and condition. `counted` are the events of this tick's measurements.
 */
export function abortOnFailedAnalysis(input: PlanInput, counted: PlannedEvent[]): Plan | null {
  const failed = failedRun(input.state, input.spec);
  if (!failed) return null;
  const plan = failRollout(input, failed.reason, { type: 'AnalysisRunFailed', reason: failed.reason, revision: failed.run.revision });
  return { state: plan.state, events: [...counted, ...plan.events] };
}

/** The canary becomes stable; the planner has already put all traffic on it. */
export function completeRollout(state: RolloutState, now: number): { state: RolloutState; event: PlannedEvent } {
  const revision = state.canary!;
  const next: RolloutState = {
    ...state,
    stable: revision,
    canary: null,
    phase: 'Healthy',
    message: `revision ${revision} serves all traffic`,
    weightPercent: 0,
    promote: 'none',
    pauseStartedAt: null,
    progressAt: now,
    switchedAt: null,
  };
  if (next.migration && next.migration.step === 'started') next.migration = { ...next.migration, step: 'completing' };
  return { state: endRuns(next, 'ended with the rollout'), event: { type: 'RolloutCompleted', reason: `revision ${revision} is stable`, revision } };
}

/**
 * Checks that fail a rollout whatever the strategy: a crash-looping canary, or
 * no progress within progressDeadlineSeconds while waiting for instances.
 * Returns a failing plan, or null to carry on. The very first revision (no
 * stable to fall back to) is never failed; it stays up and reports Degraded.
 */
export function checkFailure(input: PlanInput, waitingFor: number): Plan | null {
  const { state, observed, spec } = input;
  if (state.canary === null || state.stable === null || state.userPaused) return null;
  const obs = observed.revisions[state.canary];
  if (obs?.crashLoop) {
    const reason = `revision ${state.canary} is crash-looping`;
    return failRollout(input, reason, { type: 'CrashLoop', reason, revision: state.canary });
  }
  const ready = obs?.ready ?? 0;
  const deadlineMs = spec.progressDeadlineSeconds * 1000;
  if (ready < waitingFor && observed.now - state.progressAt > deadlineMs) {
    const reason = `revision ${state.canary} made no progress for ${spec.progressDeadlineSeconds}s (${ready}/${waitingFor} ready)`;
    return failRollout(input, reason, { type: 'ProgressDeadlineExceeded', reason, revision: state.canary });
  }
  return null;
}

/** Moves the progress mark when more canary instances are ready than before. */
export function trackProgress(state: RolloutState, observed: Observed): RolloutState {
  const ready = state.canary === null ? 0 : (observed.revisions[state.canary]?.ready ?? 0);
  if (ready > state.progressReady) return { ...state, progressReady: ready, progressAt: observed.now };
  if (ready < state.progressReady) return { ...state, progressReady: ready };
  return state;
}

/** Ready instances of a revision as observed. */
export function readyOf(observed: Observed, revision: number | null): number {
  return revision === null ? 0 : (observed.revisions[revision]?.ready ?? 0);
}

/**
 * How every rollout planner begins a tick: count the analysis measurements that came in, fail the rollout on a crash
 * loop, a missed deadline (while waiting for `waitingFor` new instances) or a failed analysis, and otherwise start
 * the next state (desired rebuilt by the planner) with the measurements' events.
 */
export function beginTick(input: PlanInput, waitingFor: number): { failed: Plan } | { failed: null; state: RolloutState; events: PlannedEvent[] } {
  const counted = countMeasurements(input.state, input.spec, input.observed);
  const failed = checkFailure(input, waitingFor) ?? abortOnFailedAnalysis({ ...input, state: counted.state }, counted.events);
  if (failed) return { failed };
  return { failed: null, state: { ...trackProgress(counted.state, input.observed), desired: emptyDesired(), phase: 'Progressing' }, events: [...counted.events] };
}
