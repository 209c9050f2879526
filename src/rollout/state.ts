/**
 * The persisted rollout state of one service and the planner's inputs and
 * outputs. The state is declarative: it says which revisions should run how
 * many instances and how traffic is split. The controller converges the world
 * to it, so replaying a plan after a crash (kill -9) is harmless.
 */
import type { StrategyConfig, StrategyName, TemplateConfig } from '../config/schema.ts';
import { ROLLOUT_STATE_VERSION, type Desired, type RolloutState } from '../store/records.ts';
import type { MeasurementRecord } from '../store/records.ts';

export type { CanaryScale, Desired, MigrationState, RolloutState } from '../store/records.ts';
export { ROLLOUT_STATE_VERSION } from '../store/records.ts';

/** What the controller saw this tick for one revision. */
export interface ObservedRevision {
  /** Instances alive or starting (not counting those being removed). */
  running: number;
  ready: number;
  /** True when any of its instances is crash-looping. */
  crashLoop: boolean;
}

export interface ObservedMeasurement {
  run: string;
  metric: string;
  measurement: MeasurementRecord;
}

export interface Observed {
  now: number;
  revisions: Record<number, ObservedRevision>;
  /** Measurements finished since the last tick, addressed to a run and a metric. */
  measurements?: ObservedMeasurement[];
  /** With `hosts:`: hosts whose Engine or proxy does not answer now, each with why. */
  unreachableHosts?: UnreachableHost[];
  /** Shadow: what comparison found so far (from the proxy's stats), on ticks of a shadow rollout. */
  mirror?: MirrorObservation;
}

/** A host (its name in `hosts:`) that does not answer, and why, e.g. { host: 'web-2', why: 'its proxy does not answer' }. */
export interface UnreachableHost {
  host: string;
  why: string;
}

export interface MirrorObservation {
  compared: number;
  differing: number;
  shadowErrors: number;
  dropped: number;
  /** The first difference, as one line (request and what differed), for the event. */
  firstDifference?: string;
}

/** The part of the service config a planner needs. */
export interface PlanSpec {
  replicas: number;
  strategy: StrategyConfig;
  progressDeadlineSeconds: number;
  /** Analysis templates by name (the service's, plus the one the short canary form stands for). */
  templates?: Record<string, TemplateConfig>;
  /**
   * With `hosts:`, the number of hosts (`replicas` is already the total): a canary's instances are rounded up to a
   * multiple of it, one per host, so every host's proxy has a canary to give its share of traffic to.
   */
  hosts?: number;
}

export interface PlanInput {
  spec: PlanSpec;
  state: RolloutState;
  observed: Observed;
}

/** A transition worth recording, e.g. { type: 'StepCompleted', reason: 'setWeight 20' }. */
export interface PlannedEvent {
  type: string;
  reason: string;
  revision?: number;
}

export interface Plan {
  state: RolloutState;
  events: PlannedEvent[];
  /** Flag changes the transition makes (canary setFlag steps); the controller writes them with the state. */
  flags?: FlagSet[];
}

/** One setFlag step: turn a flag on or off, or on for a percent of users. */
export interface FlagSet {
  name: string;
  enabled?: boolean;
  rollout?: number;
}

export function emptyDesired(): Desired {
  return { scale: {}, weightsBp: {}, match: [], previewPort: null };
}

/** State for a rollout of `revision` starting now (on top of the current `stable`). */
export function startRollout(prev: RolloutState, revision: number, strategy: StrategyName, now: number): RolloutState {
  return { ...prev, ...freshProgress(now), strategy, phase: 'Progressing', message: `rolling out revision ${revision}`, canary: revision };
}

/** A service with nothing deployed yet. */
export function initialState(service: string, now: number): RolloutState {
  return {
    ...freshProgress(now),
    v: ROLLOUT_STATE_VERSION,
    service,
    strategy: 'rolling',
    phase: 'Progressing',
    message: '',
    stable: null,
    canary: null,
    old: null,
    scaleDownAt: null,
    desired: emptyDesired(),
  };
}

/** The per-rollout fields, as at the start of a rollout. */
function freshProgress(now: number) {
  return {
    aborted: false,
    stepIndex: 0,
    weightPercent: 0,
    canaryScale: null,
    pauseStartedAt: null,
    previewReadyAt: null,
    progressAt: now,
    progressReady: 0,
    userPaused: false,
    promote: 'none' as const,
    analysisRuns: [],
    switchedAt: null,
    migration: null,
    startedAt: now,
    updatedAt: now,
  };
}

/** Extra env for new instances of `revision`. */
export function envFor(state: RolloutState, revision: number): Record<string, string> {
  return state.revisionEnv?.[revision] ?? {};
}

/** revisionEnv with `env` for `revision`, dropping revisions that no longer run (not stable, old or `revision`). */
export function keepEnv(state: RolloutState, revision: number, env: Record<string, string> | undefined): Record<number, Record<string, string>> {
  const out: Record<number, Record<string, string>> = {};
  for (const n of [state.stable, state.old]) if (n !== null && state.revisionEnv?.[n]) out[n] = state.revisionEnv[n];
  if (env && Object.keys(env).length > 0) out[revision] = env;
  return out;
}

/** True while a revision is being rolled out (not finished, not aborted). */
export function inProgress(s: RolloutState): boolean {
  return s.canary !== null && !s.aborted;
}
