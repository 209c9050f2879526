/**
 * Canary: walk `steps` (setWeight, pause, setCanaryScale, analysis, setFlag) with the stable
 * revision at full scale throughout. A setWeight step first scales the canary
 * (ceil(replicas × weight / 100), at least 1) and moves traffic only once those
 * instances are ready. After the last step the canary goes to full scale, takes
 * 100% of traffic and the old stable drains. Pure.
 *
 * @example
 * // replicas 4, steps [{ setWeight: 25 }, { pause: {} }], stable 1, canary 2:
 * // tick 1 (2 not ready):   scale { 1: 4, 2: 1 }, weights { 1: 10000 }, stepIndex 0
 * // tick 2 (1 ready):       weights { 1: 7500, 2: 2500 }, stepIndex 1, phase Paused
 * // promote, then 4 ready:  scale { 2: 4 }, weights { 2: 10000 }, RolloutCompleted
 */
import type { CanaryConfig, CanaryStep } from '../../config/schema.ts';
import type { Desired, FlagSet, Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { emptyDesired } from '../state.ts';
import { acceptInconclusive, backgroundRef, ensureRun, holdForPerson, inconclusiveRun } from './analysis-runs.ts';
import { completeRollout, readyOf, beginTick } from './lifecycle.ts';
import { canaryReplicas, splitWeights } from './replicas.ts';

export function planCanary(input: PlanInput): Plan {
  const { spec, observed } = input;
  const cfg: CanaryConfig = spec.strategy.canary ?? { steps: [] };
  const canary = input.state.canary!;
  const R = spec.replicas;

  const begun = beginTick(input, Math.min(R, input.state.desired.scale[canary] ?? 0));
  if (begun.failed) return begun.failed;
  let state: RolloutState = begun.state;
  const events: PlannedEvent[] = begun.events;
  if (state.promote !== 'none' && inconclusiveRun(state)) {
    // A person looked at the inconclusive analysis and promoted: accepted, and that promote is used up.
    state = { ...acceptInconclusive(state), promote: state.promote === 'full' ? 'full' : 'none' };
    events.push({ type: 'Promoted', reason: 'inconclusive analysis accepted by promote', revision: canary });
  }
  const flags: FlagSet[] = [];
  if (state.promote === 'full' && state.stepIndex < cfg.steps.length) {
    // Skipped steps move no traffic, but the flags they set go with the code: they are applied now.
    for (const step of cfg.steps.slice(state.stepIndex)) if ('setFlag' in step) flags.push(step.setFlag);
    events.push({ type: 'Promoted', reason: `full promotion: skipped steps ${state.stepIndex + 1}..${cfg.steps.length}${flags.length ? ` (their flags set: ${flags.map((f) => f.name).join(', ')})` : ''}`, revision: canary });
    state = { ...state, stepIndex: cfg.steps.length, promote: 'none', pauseStartedAt: null, progressAt: observed.now };
  }

  // Walk as many steps as can complete in this tick; stop at the first that must wait.
  let pending = 0;
  for (;;) {
    const bg = startBackground(state, input, cfg);
    state = bg.state;
    events.push(...bg.events);
    const step = cfg.steps[state.stepIndex];
    if (step === undefined || state.userPaused || inconclusiveRun(state)) break;
    const result = runStep(step, state, input);
    state = result.state;
    events.push(...result.events);
    if (result.flag) flags.push(result.flag);
    pending = result.scale ?? 0;
    if (!result.done) break;
    events.push({ type: 'StepCompleted', reason: `step ${state.stepIndex + 1}/${cfg.steps.length}: ${describeStep(step)}`, revision: canary });
    state = { ...state, stepIndex: state.stepIndex + 1, pauseStartedAt: null, progressAt: observed.now, progressReady: readyOf(observed, canary) };
  }

  const held = inconclusiveRun(state);
  // setFlag steps passed in this tick go out with the transition that passed them, whatever it is.
  const withFlags = (plan: Plan): Plan => (flags.length > 0 ? { ...plan, flags } : plan);
  if (state.stepIndex >= cfg.steps.length && !state.userPaused && !held) return withFlags(finish(state, input, events));
  if (state.userPaused) state = { ...state, phase: 'Paused', message: 'paused; `cutover resume` continues' };
  else if (held) state = holdForPerson(state, held);
  state.desired = canaryDesired(state, input, pending);
  return withFlags({ state, events });
}

/** Human form of a step for events: "setWeight 20", "pause 30s", "pause (until promote)". */
export function describeStep(step: CanaryStep): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}`;
  if ('pause' in step) return step.pause.duration === undefined ? 'pause (until promote)' : `pause ${step.pause.duration}ms`;
  if ('analysis' in step) return `analysis ${step.analysis.templates.join(', ')}`;
  if ('setFlag' in step) return `setFlag ${step.setFlag.name} ${step.setFlag.rollout !== undefined ? `rollout ${step.setFlag.rollout}` : step.setFlag.enabled ? 'on' : 'off'}`;
  return `setCanaryScale ${JSON.stringify(step.setCanaryScale)}`;
}

/**
 * Canary instances wanted at the current weight, honouring setCanaryScale; with `hosts` hosts, a multiple of it.
 *
 * @example canaryCount(state, 2, 50) // 1
 * @example canaryCount(state, 2, 50, 2) // 2: one on each of the two hosts
 */
export function canaryCount(state: RolloutState, replicas: number, weight: number, hosts = 1): number {
  const s = state.canaryScale;
  const count = s?.replicas !== undefined ? Math.min(replicas, s.replicas) : canaryReplicas(replicas, s?.weight ?? weight);
  return hosts > 1 && count > 0 ? Math.min(replicas, Math.ceil(count / hosts) * hosts) : count;
}

interface StepResult {
  state: RolloutState;
  events: PlannedEvent[];
  done: boolean;
  /** Canary instances the step needs before it can complete. */
  scale?: number;
  /** The flag change a setFlag step makes. */
  flag?: FlagSet;
}

function runStep(step: CanaryStep, state: RolloutState, input: PlanInput): StepResult {
  const { observed, spec } = input;
  const ready = readyOf(observed, state.canary);
  if ('setWeight' in step) {
    const want = canaryCount(state, spec.replicas, step.setWeight, spec.hosts);
    if (ready < want) return { state: { ...state, message: `waiting for ${want} canary instance(s) (${ready} ready)` }, events: [], done: false, scale: want };
    return { state: { ...state, weightPercent: step.setWeight }, events: [], done: true };
  }
  if ('setCanaryScale' in step) {
    const c = step.setCanaryScale;
    const canaryScale = c.matchTrafficWeight ? null : { ...(c.replicas !== undefined ? { replicas: c.replicas } : {}), ...(c.weight !== undefined ? { weight: c.weight } : {}) };
    const next = { ...state, canaryScale };
    const want = canaryCount(next, spec.replicas, state.weightPercent, spec.hosts);
    return { state: { ...next, message: `scaling canary to ${want}` }, events: [], done: ready >= want, scale: want };
  }
  if ('setFlag' in step) return { state, events: [], done: true, flag: step.setFlag };
  if ('analysis' in step) {
    const started = ensureRun(state, spec, `step-${state.stepIndex}`, step.analysis, state.canary!, observed.now);
    // Failed and Error runs abort before the steps are walked; Inconclusive ones stop the walk.
    if (started.run.phase === 'Successful') return { state: started.state, events: started.events, done: true };
    return { state: { ...started.state, message: `step ${state.stepIndex + 1}: analysis ${started.run.templates.join(', ')} running` }, events: started.events, done: false };
  }
  if (state.promote === 'step') {
    return { state: { ...state, promote: 'none' }, events: [{ type: 'Promoted', reason: 'pause skipped by promote', revision: state.canary! }], done: true };
  }
  const duration = step.pause.duration;
  const startedAt = state.pauseStartedAt ?? observed.now;
  const events: PlannedEvent[] = state.pauseStartedAt === null ? [{ type: 'Paused', reason: describeStep(step), revision: state.canary! }] : [];
  if (duration !== undefined && observed.now - startedAt >= duration) return { state, events, done: true };
  const message = duration === undefined ? 'paused until `cutover promote`' : `paused, ${Math.ceil((startedAt + duration - observed.now) / 1000)}s left`;
  return { state: { ...state, pauseStartedAt: startedAt, phase: 'Paused', message }, events, done: false };
}

/** Desired scale and weights while steps are running. */
function canaryDesired(state: RolloutState, input: PlanInput, pending: number): Desired {
  const { spec } = input;
  const canary = state.canary!;
  const desired = emptyDesired();
  if (state.stable !== null) desired.scale[state.stable] = spec.replicas;
  desired.scale[canary] = Math.max(pending, canaryCount(state, spec.replicas, state.weightPercent, spec.hosts));
  desired.weightsBp = splitWeights(state.stable, canary, state.weightPercent);
  const header = spec.strategy.canary?.header;
  if (header) desired.match.push({ revision: canary, header });
  const flag = spec.strategy.canary?.flag;
  if (flag) desired.match.push({ revision: canary, flag });
  return desired;
}

/** All steps done: full canary scale, then 100% traffic and the old stable drains. */
function finish(state: RolloutState, input: PlanInput, events: PlannedEvent[]): Plan {
  const { spec, observed } = input;
  const canary = state.canary!;
  const ready = readyOf(observed, canary);
  if (ready >= spec.replicas) {
    const done = completeRollout({ ...state, weightPercent: 100 }, observed.now);
    done.state.desired = { ...emptyDesired(), scale: { [canary]: spec.replicas }, weightsBp: splitWeights(null, canary, 100) };
    return { state: done.state, events: [...events, done.event] };
  }
  const next = { ...state, message: `promoting: ${ready}/${spec.replicas} canary instances ready` };
  next.desired = canaryDesired(next, input, spec.replicas);
  return { state: next, events };
}


/**
 * The background analysis starts once the canary reaches `startingStep` and has traffic (a weight above 0): before
 * that there is nothing of it to measure, and its measurements would only be Inconclusive.
 */
function startBackground(state: RolloutState, input: PlanInput, cfg: CanaryConfig): { state: RolloutState; events: PlannedEvent[] } {
  const ref = backgroundRef(cfg.analysis);
  if (!ref || state.stepIndex < ref.startingStep || state.weightPercent <= 0) return { state, events: [] };
  const r = ensureRun(state, input.spec, 'background', ref, state.canary!, input.observed.now);
  return { state: r.state, events: r.events };
}
