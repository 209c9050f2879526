/**
 * Blue-green: the full new (preview) set starts beside the stable one and is
 * reachable only through the preview header (and optional preview port).
 * Promotion — automatic after autoPromotionSeconds, or by `cutover promote` —
 * moves 100% of traffic in one route swap. The old set stays for
 * scaleDownDelaySeconds so `undo` can switch straight back. Pure.
 *
 * @example
 * // replicas 2, stable 1, preview 2, autoPromotionEnabled false:
 * // 2 not ready: scale { 1: 2, 2: 2 }, weights { 1: 10000 }, match [{ revision: 2, header: 'x-cutover-preview' }]
 * // 2 ready:     phase Paused ("preview ready; waiting for promote")
 * // promote:     weights { 2: 10000 }, stable 2, old 1 until now + scaleDownDelaySeconds
 */
import type { BlueGreenConfig } from '../../config/schema.ts';
import type { AnalysisRunState } from '../../store/records.ts';
import type { Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { emptyDesired } from '../state.ts';
import { acceptInconclusive, ensureRun, holdForPerson, inconclusiveRun } from './analysis-runs.ts';
import { completeRollout, readyOf, beginTick } from './lifecycle.ts';
import { FULL_WEIGHT_BP } from './replicas.ts';

export const BLUE_GREEN_DEFAULTS: BlueGreenConfig = {
  autoPromotionEnabled: true,
  autoPromotionSeconds: 0,
  scaleDownDelaySeconds: 30,
  previewHeader: 'x-cutover-preview',
};

export function planBlueGreen(input: PlanInput): Plan {
  const { spec, observed } = input;
  const cfg = spec.strategy.blueGreen ?? BLUE_GREEN_DEFAULTS;
  const preview = input.state.canary!;
  const R = spec.replicas;

  const begun = beginTick(input, R);
  if (begun.failed) return begun.failed;
  let state: RolloutState = begun.state;
  const events: PlannedEvent[] = begun.events;
  if (state.promote !== 'none' && inconclusiveRun(state)) {
    state = { ...acceptInconclusive(state), promote: 'none' };
    events.push({ type: 'Promoted', reason: 'inconclusive analysis accepted by promote', revision: preview });
    if (state.switchedAt === null) state.promote = 'step';
  }
  if (state.switchedAt !== null) return afterSwitch(state, input, cfg, events);
  const ready = readyOf(observed, preview);

  if (ready >= R && state.previewReadyAt === null) {
    state.previewReadyAt = observed.now;
    events.push({ type: 'PreviewReady', reason: `${ready} preview instance(s) ready`, revision: preview });
  }
  const readySince = state.previewReadyAt;
  const autoDue = cfg.autoPromotionEnabled && readySince !== null && observed.now - readySince >= cfg.autoPromotionSeconds * 1000;
  // prePromotionAnalysis: on the preview set once it is ready, before any user traffic; promotion waits for it.
  let pre: AnalysisRunState | undefined;
  if (cfg.prePromotionAnalysis && readySince !== null) {
    const r = ensureRun(state, spec, 'prePromotion', cfg.prePromotionAnalysis, preview, observed.now);
    state = r.state;
    pre = r.run;
    events.push(...r.events);
  }
  const preOk = !cfg.prePromotionAnalysis || pre?.phase === 'Successful';
  if (ready >= R && !state.userPaused && preOk && (state.promote !== 'none' || autoDue)) {
    return promote(state, input, cfg, events, state.promote !== 'none' ? 'promoted by user' : 'auto-promotion');
  }

  state.desired = previewDesired(state, R, cfg);
  const held = inconclusiveRun(state);
  if (state.userPaused) state = { ...state, phase: 'Paused', message: 'paused; `cutover resume` continues' };
  else if (held) state = holdForPerson(state, held);
  else if (pre && !preOk && ready >= R) state.message = `preview ready; prePromotionAnalysis ${pre.templates.join(', ')} running`;
  else if (ready < R) state.message = `preview: ${ready}/${R} ready`;
  else if (!cfg.autoPromotionEnabled) state = { ...state, phase: 'Paused', message: 'preview ready; waiting for `cutover promote`' };
  else state.message = `preview ready; auto-promotion in ${Math.ceil((readySince! + cfg.autoPromotionSeconds * 1000 - observed.now) / 1000)}s`;
  return { state, events };
}

function previewDesired(state: RolloutState, R: number, cfg: BlueGreenConfig) {
  const preview = state.canary!;
  const desired = emptyDesired();
  desired.scale[preview] = R;
  if (state.stable !== null) {
    desired.scale[state.stable] = R;
    desired.weightsBp[state.stable] = FULL_WEIGHT_BP;
  }
  desired.match.push({ revision: preview, header: cfg.previewHeader });
  if (cfg.previewPort !== undefined) desired.previewPort = { revision: preview, port: cfg.previewPort };
  return desired;
}

/**
 * One route swap: all traffic to the preview set; the previous stable becomes `old`. With postPromotionAnalysis the
 * rollout stays in progress after the swap (`switchedAt`) until the analysis succeeds, with the previous set running.
 */
function promote(state: RolloutState, input: PlanInput, cfg: BlueGreenConfig, events: PlannedEvent[], why: string): Plan {
  const { spec, observed } = input;
  const preview = state.canary!;
  events.push({ type: 'Promoted', reason: why, revision: preview });
  if (cfg.postPromotionAnalysis && state.stable !== null) {
    const switched: RolloutState = { ...state, promote: 'none', switchedAt: observed.now, progressAt: observed.now };
    return afterSwitch(switched, input, cfg, events);
  }
  return complete(state, input, cfg, events);
}

/** Traffic is on the new set and postPromotionAnalysis runs; both sets stay at full scale so a failure switches straight back. */
function afterSwitch(state: RolloutState, input: PlanInput, cfg: BlueGreenConfig, events: PlannedEvent[]): Plan {
  const preview = state.canary!;
  const r = ensureRun(state, input.spec, 'postPromotion', cfg.postPromotionAnalysis!, preview, input.observed.now);
  events.push(...r.events);
  if (r.run.phase === 'Successful') return complete(r.state, input, cfg, events);
  let next: RolloutState = { ...r.state, phase: 'Progressing', message: `switched to revision ${preview}; postPromotionAnalysis ${r.run.templates.join(', ')} running` };
  const held = inconclusiveRun(next);
  if (held) next = holdForPerson(next, held);
  next.desired = emptyDesired();
  next.desired.scale[preview] = input.spec.replicas;
  next.desired.weightsBp[preview] = FULL_WEIGHT_BP;
  if (state.stable !== null) next.desired.scale[state.stable] = input.spec.replicas;
  return { state: next, events };
}

function complete(state: RolloutState, input: PlanInput, cfg: BlueGreenConfig, events: PlannedEvent[]): Plan {
  const { spec, observed } = input;
  const preview = state.canary!;
  const previous = state.stable;
  const done = completeRollout(state, observed.now);
  const next: RolloutState = { ...done.state, old: previous, scaleDownAt: previous === null ? null : observed.now + cfg.scaleDownDelaySeconds * 1000 };
  next.desired = emptyDesired();
  next.desired.scale[preview] = spec.replicas;
  next.desired.weightsBp[preview] = FULL_WEIGHT_BP;
  if (previous !== null) next.desired.scale[previous] = spec.replicas;
  return { state: next, events: [...events, done.event] };
}

