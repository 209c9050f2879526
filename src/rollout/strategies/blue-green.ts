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
import type { Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { emptyDesired } from '../state.ts';
import { checkFailure, completeRollout, readyOf, trackProgress } from './lifecycle.ts';
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

  const failed = checkFailure(input, R);
  if (failed) return failed;
  let state: RolloutState = { ...trackProgress(input.state, observed), desired: emptyDesired(), phase: 'Progressing' };
  const events: PlannedEvent[] = [];
  const ready = readyOf(observed, preview);

  if (ready >= R && state.previewReadyAt === null) {
    state.previewReadyAt = observed.now;
    events.push({ type: 'PreviewReady', reason: `${ready} preview instance(s) ready`, revision: preview });
  }
  const readySince = state.previewReadyAt;
  const autoDue = cfg.autoPromotionEnabled && readySince !== null && observed.now - readySince >= cfg.autoPromotionSeconds * 1000;
  if (ready >= R && !state.userPaused && (state.promote !== 'none' || autoDue)) {
    return promote(state, input, cfg, events, state.promote !== 'none' ? 'promoted by user' : 'auto-promotion');
  }

  state.desired = previewDesired(state, R, cfg);
  if (state.userPaused) state = { ...state, phase: 'Paused', message: 'paused; `cutover resume` continues' };
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

/** One route swap: all traffic to the preview set; the previous stable becomes `old`. */
function promote(state: RolloutState, input: PlanInput, cfg: BlueGreenConfig, events: PlannedEvent[], why: string): Plan {
  const { spec, observed } = input;
  const preview = state.canary!;
  const previous = state.stable;
  events.push({ type: 'Promoted', reason: why, revision: preview });
  const done = completeRollout(state, observed.now);
  const next: RolloutState = { ...done.state, old: previous, scaleDownAt: previous === null ? null : observed.now + cfg.scaleDownDelaySeconds * 1000 };
  next.desired = emptyDesired();
  next.desired.scale[preview] = spec.replicas;
  next.desired.weightsBp[preview] = FULL_WEIGHT_BP;
  if (previous !== null) next.desired.scale[previous] = spec.replicas;
  return { state: next, events: [...events, done.event] };
}
