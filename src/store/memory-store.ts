/**
 * A Store kept in memory: for tests and dry runs. Same semantics as
 * SqliteStore (it runs the same conformance suite); nothing survives the process.
 */
import type { Segment } from '../flags/model.ts';
import type { FlagChange, FlagEvent, FlagEventQuery, FlagMetrics, NewFlagEvent, StoredFlag } from '../flags/records.ts';
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
  private readonly flags = new Map<string, StoredFlag>();
  private readonly segments = new Map<number, Segment>();
  private flagEvents: FlagEvent[] = [];
  private lastFlagEventId = 0;
  private readonly flagMetrics = new Map<string, FlagMetrics>();

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

  listFlags(): StoredFlag[] {
    return [...this.flags.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => structuredClone(f));
  }

  listSegments(): Segment[] {
    return [...this.segments.values()].sort((a, b) => a.id - b.id).map((s) => structuredClone(s));
  }

  applyFlagChange(change: FlagChange, events: NewFlagEvent[]): FlagEvent[] {
    for (const f of change.putFlags ?? []) this.flags.set(f.name, structuredClone(f));
    for (const name of change.deleteFlags ?? []) this.flags.delete(name);
    for (const s of change.putSegments ?? []) this.segments.set(s.id, structuredClone(s));
    for (const id of change.deleteSegments ?? []) this.segments.delete(id);
    const stored = events.map((e) => ({ ...structuredClone(e), id: ++this.lastFlagEventId }));
    this.flagEvents.push(...stored);
    for (const key of new Set(events.map((e) => `${e.kind}\0${e.name}`))) {
      const ids = this.flagEvents.filter((e) => `${e.kind}\0${e.name}` === key).map((e) => e.id);
      if (ids.length <= this.eventsPerService) continue;
      const oldestKept = ids[ids.length - this.eventsPerService]!;
      this.flagEvents = this.flagEvents.filter((e) => `${e.kind}\0${e.name}` !== key || e.id >= oldestKept);
    }
    return structuredClone(stored);
  }

  listFlagEvents(query: FlagEventQuery = {}): FlagEvent[] {
    const limit = query.limit ?? 1000;
    const matching = this.flagEvents.filter((e) => (query.name === undefined || e.name === query.name) && (query.sinceId === undefined || e.id > query.sinceId));
    return structuredClone(query.sinceId === undefined ? matching.slice(Math.max(0, matching.length - limit)) : matching.slice(0, limit));
  }

  flagRevision(): number {
    return this.lastFlagEventId;
  }

  addFlagMetrics(counts: Omit<FlagMetrics, 'lastSeen'>[], time: number): void {
    for (const c of counts) {
      const m = this.flagMetrics.get(c.name) ?? { name: c.name, yes: 0, no: 0, variants: {}, lastSeen: time };
      m.yes += c.yes;
      m.no += c.no;
      for (const [k, n] of Object.entries(c.variants)) m.variants[k] = (m.variants[k] ?? 0) + n;
      m.lastSeen = time;
      this.flagMetrics.set(c.name, m);
    }
  }

  listFlagMetrics(name?: string): FlagMetrics[] {
    return [...this.flagMetrics.values()].filter((m) => name === undefined || m.name === name).sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => structuredClone(m));
  }

  close(): void {}
}
