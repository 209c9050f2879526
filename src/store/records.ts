/**
 * The control plane's persisted records: revisions, events and the rollout
 * state of a service. They live below both the store (which keeps them) and
 * the rollout controller (which writes them), so neither imports the other's
 * internals. A shape change bumps ROLLOUT_STATE_VERSION and adds a step to
 * `upgradeRolloutState`, which every store runs on what it reads.
 */
import type { StrategyName } from '../config/schema.ts';
import type { InstanceRecord } from '../runtime/provider.ts';

/** As in Argo Rollouts. An aborted or failed rollout is Degraded. */
export type Phase = 'Healthy' | 'Progressing' | 'Paused' | 'Degraded';

/** An immutable revision of a service. */
export interface Revision {
  service: string;
  /** 1, 2, 3... per service. */
  number: number;
  /** Version label given by the user, e.g. "v2". */
  version: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** Strategy this revision rolls out with (config default, or --strategy). */
  strategy: StrategyName;
  /** Optional migration file started before its instances and completed after. */
  migration?: string;
  /** Set when the revision runs as containers (docker runtime). */
  container?: RevisionContainer;
  /** sha256 of the fields above: two deploys of the same thing share a hash. */
  configHash: string;
  createdAt: number;
}

/** The image a revision runs: as asked for, and pinned to the exact bits (what runs, and what undo runs again). */
export interface RevisionContainer {
  /** As given, e.g. shop/web:1.4.3. */
  image: string;
  /** The same image by digest: shop/web@sha256:... (from a registry) or sha256:<image id> (built on the host). */
  digest: string;
  /** The port the app listens on inside the container. */
  port: number;
  cpus?: number;
  memoryBytes?: number;
}

export interface RolloutEvent {
  id: number;
  service: string;
  time: number;
  /** Stable event type, e.g. "RolloutStarted", "StepCompleted", "RolloutAborted". */
  type: string;
  reason: string;
  revision?: number;
}

/** Bump when the shape changes; the store keeps it beside the JSON. */
export const ROLLOUT_STATE_VERSION = 3;

/** The proxy-facing target: instances per revision, weights in basis points (0..10000), match rules. */
export interface Desired {
  /** Revision number → instances wanted. Revisions not listed run none. */
  scale: Record<number, number>;
  /** Revision number → basis points of traffic (0..10000). Only revisions with ready instances get any. */
  weightsBp: Record<number, number>;
  /**
   * Requests whose header `name` equals "1" go to `revision` (blue-green preview, header canary), or, with `flag`,
   * requests of users who get the flag on (or its `variant`).
   */
  match: MatchTarget[];
  /** Extra listener that serves only this revision (blue-green previewPort). */
  previewPort: { revision: number; port: number } | null;
  /** Shadow: copies of `percent` of live requests go to `revision`, whose answers are compared, never served. */
  mirror?: { revision: number; percent: number } | null;
  /** Experiment: variant name → revision; users are split sticky by the configured key. */
  experiment?: { variants: Record<string, number> } | null;
}

export type MatchTarget = { revision: number; header: string } | { revision: number; flag: FlagMatch };

/** A canary reached by flag: users (by header or cookie) who get the flag on, or `variant`. */
export interface FlagMatch {
  name: string;
  variant?: string;
  userKey: { header?: string; cookie?: string };
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

/** Argo Rollouts' verdicts for one measurement; a metric or a run is also `Running` until it ends. */
export type Verdict = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type AnalysisPhase = Verdict | 'Running';

/** One measurement as kept in the state (the last few per metric) and shown by `cutover status`. */
export interface MeasurementRecord {
  phase: Verdict;
  /** When it was taken (ms since epoch). */
  at: number;
  /** The result as conditions saw it, shown as text (a number, a list, a body), trimmed. */
  value: string;
  /** Why: the condition that decided, an error, the judge's statistics, a command's output (trimmed). */
  message: string;
  /** Figures behind the verdict (comparative judge: rates, medians, p-values). */
  stats?: Record<string, number>;
}

/** Counts per metric of a run, as Argo keeps them in an AnalysisRun. */
export interface MetricRunState {
  name: string;
  phase: AnalysisPhase;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  /** Start of the last measurement; the next is due `interval` after it. */
  lastAt: number | null;
  /** The latest measurements, newest last (at most MEASUREMENTS_KEPT). */
  measurements: MeasurementRecord[];
}

/**
 * One analysis run of a rollout: templates measured against `revision`
 * (`baseline` is the revision the comparative judge compares with). `id` says
 * where it runs: "background", "step-<index>", "prePromotion", "postPromotion".
 */
export interface AnalysisRunState {
  id: string;
  templates: string[];
  args: Record<string, string>;
  revision: number;
  baseline: number | null;
  phase: AnalysisPhase;
  startedAt: number;
  message: string;
  metrics: MetricRunState[];
}

export const MEASUREMENTS_KEPT = 5;

/** What a rollout's setFlag steps changed; definitions are opaque here (Unleash JSON, see src/flags). */
export interface FlagChanges {
  revision: number;
  before: Record<string, unknown>;
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
  /** Canary traffic percent currently applied (the last setWeight). */
  weightPercent: number;
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
  /** Experiment: the variant `promote --variant` chose (the other one is removed). */
  promoteVariant?: string;
  /** Analysis runs of the current rollout (kept after it ends, until the next one starts). */
  analysisRuns: AnalysisRunState[];
  /** Blue-green with postPromotionAnalysis: when traffic moved to the new set (the rollout completes once the analysis succeeds). */
  switchedAt: number | null;
  migration: MigrationState | null;
  /**
   * Env a migration gave a revision's instances (e.g. the schema version to
   * use), kept while the revision runs so replacements get it too. Missing in
   * states written before it existed.
   */
  revisionEnv?: Record<number, Record<string, string>>;
  /**
   * Per revision, the flags its rollout changed (canary setFlag steps), each with its definition from before (null:
   * it did not exist), so an abort, failure or undo puts them back. Kept while that revision is rolled out or stable.
   */
  flagChanges?: FlagChanges[];
  /** With `hosts:`: the names of the hosts the rollout holds for, and since when. */
  heldForHosts?: { hosts: string[]; since: number };
  startedAt: number;
  updatedAt: number;
  desired: Desired;
}

/**
 * A stored rollout state brought to the current shape. Version 1 named the canary percent `weight` and the desired
 * split `weights` (basis points); version 2 carries the units in the names; version 3 replaces `analysisFailures` with `analysisRuns` and adds
 * `switchedAt`.
 */
export function upgradeRolloutState(stored: unknown): RolloutState {
  let s = stored as RolloutState & { weight?: number; analysisFailures?: number; desired: Desired & { weights?: Record<number, number> } };
  if (s.v === undefined || s.v < 2) {
    const { weight, ...rest } = s;
    const { weights, ...desired } = s.desired;
    s = { ...rest, v: 2, weightPercent: weight ?? 0, desired: { ...desired, weightsBp: weights ?? {} } };
  }
  if (s.v < 3) {
    // Version 3 keeps analysis runs (Argo's counts per metric) instead of one failure counter.
    const { analysisFailures: _dropped, ...rest } = s;
    s = { ...rest, v: 3, analysisRuns: [], switchedAt: null };
  }
  return s;
}

/** A stored instance record in the current shape: records written before revisions were numbers carry "3". */
export function upgradeInstanceRecord(stored: unknown): InstanceRecord {
  const r = stored as Omit<InstanceRecord, 'revision'> & { revision: number | string };
  return { ...r, revision: Number(r.revision) };
}
