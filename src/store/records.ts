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
  /** sha256 of the fields above: two deploys of the same thing share a hash. */
  configHash: string;
  createdAt: number;
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
export const ROLLOUT_STATE_VERSION = 2;

/** The proxy-facing target: instances per revision, weights in basis points (0..10000), match rules. */
export interface Desired {
  /** Revision number → instances wanted. Revisions not listed run none. */
  scale: Record<number, number>;
  /** Revision number → basis points of traffic (0..10000). Only revisions with ready instances get any. */
  weightsBp: Record<number, number>;
  /** Requests whose header `name` equals "1" go to `revision` (blue-green preview, header canary). */
  match: { revision: number; header: string }[];
  /** Extra listener that serves only this revision (blue-green previewPort). */
  previewPort: { revision: number; port: number } | null;
  /** Shadow: copies of `percent` of live requests go to `revision`, whose answers are compared, never served. */
  mirror?: { revision: number; percent: number } | null;
  /** Experiment: variant name → revision; users are split sticky by the configured key. */
  experiment?: { variants: Record<string, number> } | null;
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

/**
 * A stored rollout state brought to the current shape. Version 1 named the canary percent `weight` and the desired
 * split `weights` (basis points); version 2 carries the units in the names.
 */
export function upgradeRolloutState(stored: unknown): RolloutState {
  const s = stored as RolloutState & { weight?: number; desired: Desired & { weights?: Record<number, number> } };
  if (s.v === undefined || s.v < 2) {
    const { weight, ...rest } = s;
    const { weights, ...desired } = s.desired;
    return { ...rest, v: ROLLOUT_STATE_VERSION, weightPercent: weight ?? 0, desired: { ...desired, weightsBp: weights ?? {} } };
  }
  return s;
}

/** A stored instance record in the current shape: records written before revisions were numbers carry "3". */
export function upgradeInstanceRecord(stored: unknown): InstanceRecord {
  const r = stored as Omit<InstanceRecord, 'revision'> & { revision: number | string };
  return { ...r, revision: Number(r.revision) };
}
