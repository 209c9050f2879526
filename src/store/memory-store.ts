/**
 * A Store kept in memory: for tests and dry runs. Same semantics as
 * SqliteStore (it runs the same conformance suite); nothing survives the process.
 */
import type { InstanceRecord } from '../runtime/provider.ts';
import type { Revision, RolloutEvent, RolloutState } from './records.ts';
import { EVENTS_PER_SERVICE, type EventQuery, type NewEvent, type NewRevision, type Store, type StoreOptions } from './store.ts';

export class MemoryStore implements Store {
  private readonly revisions = new Map<string, Revision[]>();
  private readonly rollouts = new Map<string, RolloutState>();
  private readonly instances = new Map<string, InstanceRecord>();
  private events: RolloutEvent[] = [];
  private nextEventId = 1;
  private readonly eventsPerService: number;

  constructor(opts: StoreOptions = {}) {
    this.eventsPerService = opts.eventsPerService ?? EVENTS_PER_SERVICE;
  }

  createRevision(rev: NewRevision): Revision {
    const list = this.revisions.get(rev.service) ?? [];
    const number = (list.at(-1)?.number ?? 0) + 1;
    const full: Revision = structuredClone({ ...rev, number });
    this.revisions.set(rev.service, [...list, full]);
    return structuredClone(full);
  }

  getRevision(service: string, number: number): Revision | undefined {
    const r = this.revisions.get(service)?.find((x) => x.number === number);
    return r && structuredClone(r);
  }

  listRevisions(service: string): Revision[] {
    return structuredClone(this.revisions.get(service) ?? []);
  }

  pruneRevisions(service: string, keep: number, protect: number[]): number[] {
    const list = this.revisions.get(service) ?? [];
    const newestFirst = list.map((r) => r.number).sort((a, b) => b - a);
    const doomed = newestFirst.slice(keep).filter((n) => !protect.includes(n));
    this.revisions.set(service, list.filter((r) => !doomed.includes(r.number)));
    return doomed.sort((a, b) => a - b);
  }

  getRollout(service: string): RolloutState | undefined {
    const s = this.rollouts.get(service);
    return s && structuredClone(s);
  }

  listRollouts(): RolloutState[] {
    return [...this.rollouts.values()].sort((a, b) => a.service.localeCompare(b.service)).map((s) => structuredClone(s));
  }

  saveRollout(state: RolloutState, events: NewEvent[] = []): RolloutEvent[] {
    this.rollouts.set(state.service, structuredClone(state));
    return this.appendEvents(events);
  }

  putInstance(record: InstanceRecord): void {
    this.instances.set(record.id, structuredClone(record));
  }

  deleteInstance(id: string): void {
    this.instances.delete(id);
  }

  listInstances(filter: { service?: string; revision?: number } = {}): InstanceRecord[] {
    return [...this.instances.values()]
      .filter((r) => (filter.service === undefined || r.service === filter.service) && (filter.revision === undefined || r.revision === filter.revision))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((r) => structuredClone(r));
  }

  appendEvents(events: NewEvent[]): RolloutEvent[] {
    const stored = events.map((e) => ({ ...structuredClone(e), id: this.nextEventId++ }));
    this.events.push(...stored);
    for (const service of new Set(events.map((e) => e.service))) {
      const ids = this.events.filter((e) => e.service === service).map((e) => e.id);
      if (ids.length <= this.eventsPerService) continue;
      const oldestKept = ids[ids.length - this.eventsPerService]!;
      this.events = this.events.filter((e) => e.service !== service || e.id >= oldestKept);
    }
    return structuredClone(stored);
  }

  listEvents(query: EventQuery = {}): RolloutEvent[] {
    const limit = query.limit ?? 1000;
    const matching = this.events.filter((e) => (query.service === undefined || e.service === query.service) && (query.sinceId === undefined || e.id > query.sinceId));
    const picked = query.sinceId === undefined ? matching.slice(Math.max(0, matching.length - limit)) : matching.slice(0, limit);
    return structuredClone(picked);
  }

  close(): void {}
}
