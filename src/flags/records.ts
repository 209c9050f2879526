/** What the state store keeps for flags: definitions, the change log and the SDKs' usage counts. */
import type { FeatureDefinition, Segment } from './model.ts';

export interface StoredFlag {
  name: string;
  definition: FeatureDefinition;
  /** Hash of the cutover.yaml definition last applied to this flag, when it came from there. */
  configHash?: string;
  updatedAt: number;
}

/** One change to a flag or a segment: who, what it was, what it became, when. */
export interface FlagEvent {
  id: number;
  time: number;
  kind: 'flag' | 'segment';
  /** The flag's name, or the segment's id as a string. */
  name: string;
  type: 'created' | 'updated' | 'deleted';
  /** The token's name ("admin"), "config" for cutover.yaml, or the caller that changed it (e.g. "rollout:web"). */
  actor: string;
  before: FeatureDefinition | Segment | null;
  after: FeatureDefinition | Segment | null;
  reason?: string;
}
export type NewFlagEvent = Omit<FlagEvent, 'id'>;

/** A flag as the control API lists it (`GET /api/v1/flags`, the dashboard stream): its definition, who manages it, when it last changed. */
export type FlagView = FeatureDefinition & { managedBy?: 'cutover.yaml'; updatedAt: number };

/** The flags part of the dashboard stream (`GET /api/v1/stream`): every flag and the change events since the last message. */
export interface FlagsUpdate {
  revision: number;
  flags: FlagView[];
  events: FlagEvent[];
}

/** One transaction's worth of flag changes. */
export interface FlagChange {
  putFlags?: StoredFlag[];
  deleteFlags?: string[];
  putSegments?: Segment[];
  deleteSegments?: number[];
}

export interface FlagEventQuery {
  name?: string;
  sinceId?: number;
  /** With sinceId: the first `limit` after it; without: the last `limit`. Default 1000. */
  limit?: number;
}

/** Counts the SDKs reported (POST /api/client/metrics), added up since the flag was first reported. */
export interface FlagMetrics {
  name: string;
  yes: number;
  no: number;
  variants: Record<string, number>;
  lastSeen: number;
}
