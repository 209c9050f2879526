/**
 * Shadow: the new revision's full set starts beside stable and gets copies of live requests (`percent`); users
 * only ever get stable's answers. The proxy compares each copy's answer with the user's, and this planner judges
 * the share that differ: above `compare.maxDiffRate` (once `minCompared` answers were compared) the rollout fails;
 * when `duration` has passed (or on `cutover promote`) it passes, and either switches all traffic in one route swap
 * or goes on as the strategy `then` names. Pure.
 *
 * @example
 * // replicas 2, stable 1, shadow 2, duration 10m, maxDiffRate 0.01:
 * // 2 not ready:         scale { 1: 2, 2: 2 }, weights { 1: 10000 }, no mirror yet
 * // 2 ready:             mirror { revision: 2, percent: 100 }, ShadowStarted
 * // 300 compared, 9 differ (3 %): RolloutAborted "shadow answers differ on 3.0 % ..."
 * // 10 min, 0.2 % differ: ShadowPassed, weights { 2: 10000 }, RolloutCompleted   (or, with then: canary, strategy canary)
 */
import type { ShadowConfig } from '../../config/schema.ts';
import type { MirrorObservation, Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { emptyDesired } from '../state.ts';
import { acceptInconclusive, endRuns, ensureRun, holdForPerson, inconclusiveRun } from './analysis-runs.ts';
import { completeRollout, failRollout, readyOf, beginTick } from './lifecycle.ts';
import { FULL_WEIGHT_BP } from './replicas.ts';

export function planShadow(input: PlanInput): Plan {
  const { spec, observed } = input;
  const cfg = spec.strategy.shadow!;
  const shadow = input.state.canary!;
  const R = spec.replicas;

  const begun = beginTick(input, R);
  if (begun.failed) return begun.failed;
  let state: RolloutState = begun.state;
  const events: PlannedEvent[] = begun.events;
  const ready = readyOf(observed, shadow);
  if (ready >= R && state.previewReadyAt === null) {
    state.previewReadyAt = observed.now;
    events.push({ type: 'ShadowStarted', reason: `${ready} shadow instance(s) ready; copying ${cfg.percent} % of ${cfg.methods.join('/')} requests`, revision: shadow });
  }
  // Analysis of the shadow runs from the first copy (its id is not "background", so a `then` strategy starts its own).
  if (cfg.analysis && state.previewReadyAt !== null) {
    const r = ensureRun(state, spec, SHADOW_RUN, cfg.analysis, shadow, observed.now);
    state = r.state;
    events.push(...r.events);
  }
  if (state.promote !== 'none' && inconclusiveRun(state)) state = acceptInconclusive(state);
  const held = inconclusiveRun(state);
  const m = input.observed.mirror;
  const judged = judge(m, cfg);
  if (judged.verdict === 'Failed') {
    const reason = `shadow answers differ on ${pct(judged.rate)} of ${judged.n} compared requests (limit ${pct(cfg.compare.maxDiffRate)})${m?.firstDifference ? `: ${m.firstDifference}` : ''}`;
    return failRollout(input, reason, { type: 'ShadowFailed', reason, revision: shadow });
  }

  const startedAt = state.previewReadyAt;
  const due = cfg.duration !== undefined && startedAt !== null && observed.now - startedAt >= cfg.duration;
  const promoted = state.promote !== 'none';
  // With analysis, the duration alone does not pass the shadow: every metric must have been measured at least once.
  const measured = state.analysisRuns.every((r) => r.id !== SHADOW_RUN || r.phase !== 'Running' || r.metrics.every((m) => m.count - m.error > 0));
  if (ready >= R && !state.userPaused && (promoted || (due && judged.verdict === 'Successful' && measured && !held))) {
    const why = promoted ? 'promoted by user' : `${pct(judged.rate)} of ${judged.n} compared requests differ (limit ${pct(cfg.compare.maxDiffRate)})`;
    events.push({ type: 'ShadowPassed', reason: why, revision: shadow });
    return pass(endRuns(state, 'shadow passed'), input, cfg, events);
  }

  state.desired = shadowDesired(state, R, cfg.percent, ready >= R);
  const progress = m ? `${m.compared} compared, ${pct(judged.rate)} differ${m.dropped ? `, ${m.dropped} copies dropped` : ''}` : 'nothing compared yet';
  if (state.userPaused) state = { ...state, phase: 'Paused', message: `paused (${progress}); \`cutover resume\` continues` };
  else if (held) state = holdForPerson(state, held);
  else if (ready < R) state.message = `shadow: ${ready}/${R} ready`;
  else if (cfg.duration === undefined) state = { ...state, phase: 'Paused', message: `shadowing (${progress}); waiting for \`cutover promote\`` };
  else if (due) state = { ...state, phase: 'Paused', message: `shadow inconclusive: ${progress}, ${cfg.minCompared} needed; \`cutover promote\` continues anyway` };
  else state.message = `shadowing (${progress}); judged in ${Math.ceil((startedAt! + cfg.duration - observed.now) / 1000)}s`;
  return { state, events };
}

/** The id of the shadow's analysis run. */
export const SHADOW_RUN = 'shadow';

/** Failed past the limit, Successful within it, Inconclusive with too few compared answers. */
export function judge(m: MirrorObservation | undefined, cfg: ShadowConfig): { verdict: 'Successful' | 'Failed' | 'Inconclusive'; rate: number; n: number } {
  // A copy the shadow failed to answer counts against it, like an answer that differs.
  const n = (m?.compared ?? 0) + (m?.shadowErrors ?? 0);
  const bad = (m?.differing ?? 0) + (m?.shadowErrors ?? 0);
  const rate = n === 0 ? 0 : bad / n;
  if (n < Math.max(1, cfg.minCompared)) return { verdict: 'Inconclusive', rate, n };
  return { verdict: rate > cfg.compare.maxDiffRate ? 'Failed' : 'Successful', rate, n };
}

function shadowDesired(state: RolloutState, R: number, percent: number, mirroring: boolean) {
  const shadow = state.canary!;
  const desired = emptyDesired();
  desired.scale[shadow] = R;
  if (state.stable !== null) {
    desired.scale[state.stable] = R;
    desired.weightsBp[state.stable] = FULL_WEIGHT_BP;
  }
  // Copies start once the whole shadow set is ready, so its warm-up is not counted against it.
  desired.mirror = mirroring ? { revision: shadow, percent } : null;
  return desired;
}

/** The shadow passed: go on as `then`, or switch all traffic to the new set (ready at full scale already). */
function pass(state: RolloutState, input: PlanInput, cfg: ShadowConfig, events: PlannedEvent[]): Plan {
  const { spec, observed } = input;
  const shadow = state.canary!;
  if (cfg.then !== undefined) {
    const next: RolloutState = { ...state, strategy: cfg.then, promote: 'none', previewReadyAt: null, pauseStartedAt: null, stepIndex: 0, weightPercent: 0, progressAt: observed.now, message: `shadow passed; continuing as ${cfg.then}` };
    next.desired = shadowDesired(state, spec.replicas, 0, false);
    return { state: next, events: [...events, { type: 'StrategyChanged', reason: `shadow passed; continuing as ${cfg.then}`, revision: shadow }] };
  }
  const done = completeRollout(state, observed.now);
  done.state.desired = emptyDesired();
  done.state.desired.scale[shadow] = spec.replicas;
  done.state.desired.weightsBp[shadow] = FULL_WEIGHT_BP;
  return { state: done.state, events: [...events, done.event] };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}
