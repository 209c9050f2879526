/**
 * The persisted rollout state of one service and the planner's inputs and
 * outputs. The state is declarative: it says which revisions should run how
 * many instances and how traffic is split. The controller converges the world
 * to it, so replaying a plan after a crash (kill -9) is harmless.
 */
import type { Phase } from './types.ts';
import type { StrategyConfig, StrategyName } from '../config/schema.ts';
import type { Measurement } from './analysis.ts';

/** Bump when the shape changes; the store keeps it beside the JSON. */
export const ROLLOUT_STATE_VERSION = 1;

/** The proxy-facing target: instances per revision, weights in basis points (0..10000), match rules. */
export interface Desired {
  /** Revision number → instances wanted. Revisions not listed run none. */
  scale: Record<number, number>;
  /** Revision number → basis points of traffic. Only revisions with ready instances get any. */
  weights: Record<number, number>;
  /** Requests whose header `name` equals "1" go to `revision` (blue-green preview, header canary). */
  match: { revision: number; header: string }[];
  /** Extra listener that serves only this revision (blue-green previewPort). */
  previewPort: { revision: number; port: number } | null;
}

/** Set by setCanaryScale; null means "match the traffic weight". */
export interface CanaryScale {
  replicas?: number;
  weight?: number;
}

/** A migration tied to the revision being rolled out; `step` survives restarts so a hook is never lost. */
export interface MigrationState {
  file: string;
  step: 'started' | 'completing' | 'rollingBack' | 'done';
  env: Record<string, string>;
}

export interface RolloutState {
  v: number;
  service: string;
  strategy: StrategyName;
  phase: Phase;
  message: string;
  /** Revision serving traffic when no rollout is in progress. Null before the first revision is ready. */
  stable: number | null;
  /** Revision being rolled out (kept after an abort so `retry` can restart it). */
  canary: number | null;
  /** Blue-green: previous stable kept until `scaleDownAt` so undo is instant. */
  old: number | null;
  scaleDownAt: number | null;
  aborted: boolean;
  /** Canary step index; equals steps.length when all steps are done. */
  stepIndex: number;
  /** Canary traffic percent currently applied. */
  weight: number;
  canaryScale: CanaryScale | null;
  /** When the current timed pause started. */
  pauseStartedAt: number | null;
  /** Blue-green: when the preview set became fully ready. */
  previewReadyAt: number | null;
  /** Last progress (rollout start, a new instance ready, a step done): the progress deadline counts from here. */
  progressAt: number;
  /** Ready instances of the canary at progressAt. */
  progressReady: number;
  userPaused: boolean;
  /** Promote requested: skip the next pause ('step') or every remaining step ('full'). */
  promote: 'none' | 'step' | 'full';
  analysisFailures: number;
  migration: MigrationState | null;
  /**
   * Env a migration gave a revision's instances (e.g. the schema version to
   * use), kept while the revision runs so replacements get it too. Missing in
   * states written before it existed.
   */
  revisionEnv?: Record<number, Record<string, string>>;
  startedAt: number;
  updatedAt: number;
  desired: Desired;
}

/** What the controller saw this tick for one revision. */
export interface ObservedRevision {
  /** Instances alive or starting (not counting those being removed). */
  running: number;
  ready: number;
  /** True when any of its instances is crash-looping. */
  crashLoop: boolean;
}

export interface Observed {
  now: number;
  revisions: Record<number, ObservedRevision>;
  /** A fresh canary measurement, only on ticks where one was taken. */
  analysis?: Measurement;
}

/** The part of the service config a planner needs. */
export interface PlanSpec {
  replicas: number;
  strategy: StrategyConfig;
  progressDeadlineSeconds: number;
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
}

export function emptyDesired(): Desired {
  return { scale: {}, weights: {}, match: [], previewPort: null };
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
    weight: 0,
    canaryScale: null,
    pauseStartedAt: null,
    previewReadyAt: null,
    progressAt: now,
    progressReady: 0,
    userPaused: false,
    promote: 'none' as const,
    analysisFailures: 0,
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
