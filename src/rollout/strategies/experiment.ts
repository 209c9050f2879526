/**
 * Experiment (A/B): the new revision's full set runs beside stable and both serve users at once, `split` percent
 * of users on the new one. Users are assigned by a hash of their sticky key in the proxy, so a user stays in one
 * variant. The experiment never decides by itself: after `duration` (or at once without one) it waits for
 * `cutover promote --variant <name>` (the chosen variant becomes stable, the other is removed) or `abort`. Pure.
 *
 * @example
 * // replicas 2, stable 1 (variant a), new 2 (variant b), split 50:
 * // 2 not ready:  scale { 1: 2, 2: 2 }, weights { 1: 10000 }
 * // 2 ready:      weights { 1: 5000, 2: 5000 }, experiment { a: 1, b: 2 }, ExperimentStarted
 * // promote --variant a: scale { 1: 2 }, ExperimentConcluded, phase Healthy
 */
import type { ExperimentConfig } from '../../config/schema.ts';
import type { Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { emptyDesired } from '../state.ts';
import { endRuns, ensureRun, inconclusiveRun } from './analysis-runs.ts';
import { completeRollout, planSteady, readyOf, beginTick } from './lifecycle.ts';
import { FULL_WEIGHT_BP, splitWeights } from './replicas.ts';

export function planExperiment(input: PlanInput): Plan {
  const { spec, observed } = input;
  const cfg = spec.strategy.experiment!;
  const R = spec.replicas;
  const begun = beginTick(input, R);
  if (begun.failed) return begun.failed;
  let state: RolloutState = begun.state;
  const events: PlannedEvent[] = begun.events;
  const newRev = state.canary!;
  const ready = readyOf(observed, newRev);
  const variants = variantRevisions(cfg, state);

  if (state.promote !== 'none') {
    const chosen = state.promoteVariant ?? variantOf(cfg, 'new');
    if (variants[chosen] === newRev && ready < R) {
      state.message = `promoting variant ${chosen}: ${ready}/${R} instances ready`;
    } else {
      return conclude(state, input, chosen, variants[chosen]!, events);
    }
  }
  if (ready >= R && state.previewReadyAt === null) {
    state.previewReadyAt = observed.now;
    events.push({ type: 'ExperimentStarted', reason: `${describe(cfg, variants)}; ${cfg.split} % of users on the new revision`, revision: newRev });
  }
  // A guardrail while users are split: a failed analysis aborts (every user back on stable); the decision stays a person's.
  if (cfg.analysis && state.previewReadyAt !== null) {
    const r = ensureRun(state, spec, 'background', cfg.analysis, newRev, observed.now);
    state = r.state;
    events.push(...r.events);
  }
  const held = inconclusiveRun(state);
  state.desired = experimentDesired(state, R, cfg, ready >= R, variants);
  const startedAt = state.previewReadyAt;
  const over = startedAt !== null && (cfg.duration === undefined || observed.now - startedAt >= cfg.duration);
  if (state.userPaused) state = { ...state, phase: 'Paused', message: 'paused; `cutover resume` continues' };
  else if (ready < R) state.message = `experiment: ${ready}/${R} instances of the new revision ready`;
  else if (held) state = { ...state, phase: 'Paused', message: `analysis inconclusive: ${held.message}; \`cutover promote --variant <${Object.keys(variants).join('|')}>\` decides, \`cutover abort\` rolls back` };
  else if (over) state = { ...state, phase: 'Paused', message: `experiment running; see \`cutover experiment report\`, then \`cutover promote --variant <${Object.keys(variants).join('|')}>\` or \`cutover abort\`` };
  else state.message = `experiment running; ${Math.ceil((startedAt! + cfg.duration! - observed.now) / 1000)}s left`;
  return { state, events };
}

/** Variant name → revision number for this rollout. */
export function variantRevisions(cfg: ExperimentConfig, state: RolloutState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, role] of Object.entries(cfg.variants)) {
    const rev = role === 'stable' ? state.stable : state.canary;
    if (rev !== null) out[name] = rev;
  }
  return out;
}

function variantOf(cfg: ExperimentConfig, role: 'stable' | 'new'): string {
  return Object.entries(cfg.variants).find(([, r]) => r === role)![0];
}

function experimentDesired(state: RolloutState, R: number, cfg: ExperimentConfig, running: boolean, variants: Record<string, number>) {
  const desired = emptyDesired();
  const newRev = state.canary!;
  desired.scale[newRev] = R;
  if (state.stable !== null) desired.scale[state.stable] = R;
  // Users are split only once the new set is fully ready, so no user is moved back and forth while it starts.
  desired.weightsBp = running ? splitWeights(state.stable, newRev, cfg.split) : state.stable !== null ? { [state.stable]: FULL_WEIGHT_BP } : {};
  desired.experiment = running ? { variants } : null;
  return desired;
}

/** The chosen variant's revision becomes (or stays) stable; the other one is removed. */
function conclude(state: RolloutState, input: PlanInput, variant: string, revision: number, events: PlannedEvent[]): Plan {
  const { spec, observed } = input;
  events.push({ type: 'ExperimentConcluded', reason: `variant ${variant} (revision ${revision}) chosen`, revision });
  if (revision === state.canary) {
    const done = completeRollout({ ...state, promoteVariant: undefined }, observed.now);
    done.state.desired = emptyDesired();
    done.state.desired.scale[revision] = spec.replicas;
    done.state.desired.weightsBp[revision] = FULL_WEIGHT_BP;
    return { state: done.state, events: [...events, done.event] };
  }
  // Stable stays: the new revision leaves like an abort, but nothing failed (phase Healthy); its migration rolls back.
  const kept: RolloutState = { ...endRuns(state, `variant ${variant} chosen`), canary: null, promote: 'none', promoteVariant: undefined, message: `variant ${variant} (revision ${revision}) kept` };
  if (kept.migration && kept.migration.step === 'started') kept.migration = { ...kept.migration, step: 'rollingBack' };
  const steady = planSteady({ ...input, state: kept });
  return { state: steady.state, events: [...events, ...steady.events] };
}

function describe(cfg: ExperimentConfig, variants: Record<string, number>): string {
  return Object.entries(variants).map(([name, rev]) => `variant ${name} = revision ${rev} (${cfg.variants[name]})`).join(', ');
}
