/**
 * The control plane's durable state behind one narrow, synchronous interface:
 * immutable revisions, one versioned rollout state per service, the records
 * needed to adopt running instances again, and an event log that keeps the
 * newest `eventsPerService` events of each service; feature flags with their
 * own change log (the newest `eventsPerService` per flag) and usage counts.
 * Every implementation runs test/store/store-conformance.ts.
 */
import type { Segment } from '../flags/model.ts';
import type { FlagChange, FlagEvent, FlagEventQuery, FlagMetrics, NewFlagEvent, StoredFlag } from '../flags/records.ts';
import type { InstanceRecord } from '../runtime/provider.ts';
import type { Revision, RolloutEvent, RolloutState } from './records.ts';

export type NewEvent = Omit<RolloutEvent, 'id'>;

/** Events kept per service by default: years of deploys at a few dozen events each, in a few MB. */
export const EVENTS_PER_SERVICE = 10_000;

export interface StoreOptions {
  /** The oldest events of a service (and of a flag) are deleted beyond this many (default EVENTS_PER_SERVICE). */
  eventsPerService?: number;
}
export type NewRevision = Omit<Revision, 'number'>;

export interface EventQuery {
  service?: string;
  /** Only events with a larger id (for following the log). */
  sinceId?: number;
  /** With sinceId: the first `limit` after it; without: the last `limit`. Default 1000. */
  limit?: number;
}

export interface Store {
  /** Stores a revision under the service's next number (1, 2, 3...) and returns it. */
  createRevision(rev: NewRevision): Revision;
  getRevision(service: string, number: number): Revision | undefined;
  /** Oldest first. */
  listRevisions(service: string): Revision[];
  /** Deletes the oldest revisions beyond `keep`, never those in `protect`; returns the numbers deleted. */
  pruneRevisions(service: string, keep: number, protect: number[]): number[];

  getRollout(service: string): RolloutState | undefined;
  listRollouts(): RolloutState[];
  /** Writes the state and its events in one transaction (all or nothing); returns the stored events. */
  saveRollout(state: RolloutState, events?: NewEvent[]): RolloutEvent[];

  /** Inserts or replaces the record with this id (pid and port change on a restart in place). */
  putInstance(record: InstanceRecord): void;
  deleteInstance(id: string): void;
  listInstances(filter?: { service?: string; revision?: number }): InstanceRecord[];

  /** Stores the events; a service's oldest ones beyond its limit are deleted in the same transaction. */
  appendEvents(events: NewEvent[]): RolloutEvent[];
  /** Ascending by id. */
  listEvents(query?: EventQuery): RolloutEvent[];

  /** Flags by name. */
  listFlags(): StoredFlag[];
  /** Segments by id. */
  listSegments(): Segment[];
  /** Writes the flag and segment changes and their events in one transaction (all or nothing); returns the stored events. */
  applyFlagChange(change: FlagChange, events: NewFlagEvent[]): FlagEvent[];
  /** Ascending by id. */
  listFlagEvents(query?: FlagEventQuery): FlagEvent[];
  /** The id of the newest flag event ever stored, 0 before the first: it changes with every change to the flags. */
  flagRevision(): number;
  /** Adds the counts to each flag's totals (a flag never reported starts at zero). */
  addFlagMetrics(counts: Omit<FlagMetrics, 'lastSeen'>[], time: number): void;
  /** By name; one flag's when `name` is given. */
  listFlagMetrics(name?: string): FlagMetrics[];

  close(): void;
}
