/**
 * FlagService: the one way flags change. Every change is validated against
 * the whole resulting state (refused whole, nothing written), written with its
 * events in one store transaction, compiled into a new snapshot and pushed to
 * whoever listens (SSE streams). Reads come from the snapshot in memory.
 *
 * For a rollout: `prepare(edits, actor)` gives the store change and events
 * without writing, so a caller can commit them in its own transaction and
 * then `adopt()` them; `apply()` does both. `restore(events)` puts every flag
 * those events touched back as it was before them.
 */
import { createHash } from 'node:crypto';
import { canonical } from './canonical.ts';
import { FlagInvalidError } from './errors.ts';
import { applyEdit, type FlagEdit } from './edits.ts';
import { FlagEvaluator } from './evaluator.ts';
import { parseFeature, parseFeaturesDocument, type FeatureDefinition, type FeaturesDocument, type Segment } from './model.ts';
import { stateIssues } from './state-issues.ts';
import type { FlagChange, FlagEvent, FlagEventQuery, FlagMetrics, NewFlagEvent, StoredFlag } from './records.ts';
import type { Store } from '../store/store.ts';

export interface FlagSnapshot {
  /** The store's flag revision: moves with every change. */
  revision: number;
  /** What SDKs get from GET /api/client/features (disabled strategies left out, as Unleash's server does). */
  document: FeaturesDocument;
  evaluator: FlagEvaluator;
}

export interface PreparedFlagChange {
  change: FlagChange;
  events: NewFlagEvent[];
}

export interface ChangeOptions {
  /** Who asks: the token's name, "config", "rollout:<service>". */
  actor: string;
  reason?: string;
}

/** An SDK instance that said hello (POST /api/client/register). */
export interface RegisteredClient {
  appName: string;
  instanceId: string;
  sdkVersion?: string;
  strategies?: string[];
  interval?: number;
  started?: string;
  lastSeen: number;
}

export class FlagService {
  private readonly store: Store;
  private readonly now: () => number;
  private current: FlagSnapshot;
  private flags = new Map<string, StoredFlag>();
  private segments = new Map<number, Segment>();
  private readonly listeners = new Set<(s: FlagSnapshot) => void>();
  private readonly registered = new Map<string, RegisteredClient>();

  constructor(opts: { store: Store; now?: () => number }) {
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.current = this.reload();
  }

  snapshot(): FlagSnapshot {
    return this.current;
  }

  get(name: string): StoredFlag | undefined {
    return this.flags.get(name);
  }

  list(): StoredFlag[] {
    return [...this.flags.values()];
  }

  listSegments(): Segment[] {
    return [...this.segments.values()];
  }

  /** The whole state as a features document (for export and backups): disabled strategies included. */
  export(): FeaturesDocument {
    return { version: 2, features: this.list().map((f) => f.definition), segments: this.listSegments() };
  }

  events(query?: FlagEventQuery): FlagEvent[] {
    return this.store.listFlagEvents(query);
  }

  metrics(name?: string): FlagMetrics[] {
    return this.store.listFlagMetrics(name);
  }

  /** Called with every new snapshot; returns the unsubscribe. */
  onChange(listener: (s: FlagSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- changes ----

  /** Validates the edits against the whole resulting state; writes nothing. Throws FlagInvalidError (nothing changed). */
  prepare(edits: FlagEdit[], opts: ChangeOptions & { configHashes?: Record<string, string> }): PreparedFlagChange {
    const next = new Map([...this.flags].map(([k, v]) => [k, v.definition]));
    for (const edit of edits) {
      const after = applyEdit(next.get(edit.name), edit);
      if (after === null) next.delete(edit.name);
      else next.set(edit.name, after);
    }
    return this.diff(next, new Map(this.segments), opts);
  }

  /** Writes a prepared change with its events and publishes the new snapshot. */
  commit(prepared: PreparedFlagChange): FlagEvent[] {
    const c = prepared.change;
    // A change may move only config hashes (no event): it is still written.
    if (!prepared.events.length && !c.putFlags?.length && !c.deleteFlags?.length && !c.putSegments?.length && !c.deleteSegments?.length) return [];
    const stored = this.store.applyFlagChange(prepared.change, prepared.events);
    this.adopt();
    return stored;
  }

  /** After a caller committed a prepared change in its own transaction: reload and publish. */
  adopt(): void {
    this.current = this.reload();
    for (const l of this.listeners) l(this.current);
  }

  apply(edits: FlagEdit[], opts: ChangeOptions): FlagEvent[] {
    return this.commit(this.prepare(edits, opts));
  }

  set(name: string, definition: unknown, opts: ChangeOptions): FlagEvent[] {
    return this.apply([{ op: 'set', name, definition }], opts);
  }

  /** Puts every flag the events touched back as it was before the first of them (created ones are deleted). */
  restore(events: readonly FlagEvent[], opts: ChangeOptions): FlagEvent[] {
    const first = new Map<string, FlagEvent>();
    for (const e of [...events].sort((a, b) => a.id - b.id)) if (e.kind === 'flag' && !first.has(e.name)) first.set(e.name, e);
    const edits: FlagEdit[] = [...first.values()].map((e) => ({ op: 'restore', name: e.name, definition: e.before as FeatureDefinition | null }));
    return this.apply(edits, opts);
  }

  /**
   * Imports an Unleash client-API features document: its flags and segments
   * are created or replaced; with `replace`, flags and segments not in it are
   * deleted. All or nothing.
   */
  import(input: unknown, opts: ChangeOptions & { replace?: boolean; source?: string }): FlagEvent[] {
    const doc = parseFeaturesDocument(input, opts.source);
    const next = new Map(opts.replace ? [] : [...this.flags].map(([k, v]) => [k, v.definition]));
    for (const f of doc.features) next.set(f.name, f);
    const segments = new Map(opts.replace ? [] : this.segments);
    for (const s of doc.segments ?? []) segments.set(s.id, s);
    return this.commit(this.diff(next, segments, opts));
  }

  /**
   * The flags cutover.yaml defines: each is applied when it is new or its
   * definition in the file changed since it was last applied, so a change made
   * through the API lasts until the file says something new about that flag.
   */
  syncConfig(defs: Record<string, unknown>): FlagEvent[] {
    const edits: FlagEdit[] = [];
    const configHashes: Record<string, string> = {};
    for (const [name, body] of Object.entries(defs)) {
      const def = parseFeature(body, name, `cutover.yaml flags.${name}`);
      const hash = createHash('sha256').update(canonical(def)).digest('hex').slice(0, 16);
      if (this.flags.get(name)?.configHash === hash) continue;
      configHashes[name] = hash;
      edits.push({ op: 'set', name, definition: def });
    }
    if (!edits.length) return [];
    return this.commit(this.prepare(edits, { actor: 'config', reason: 'cutover.yaml', configHashes }));
  }

  // ---- SDK reports ----

  register(body: Record<string, unknown>): void {
    const appName = String(body.appName ?? 'unknown');
    const instanceId = String(body.instanceId ?? 'unknown');
    this.registered.set(`${appName}\0${instanceId}`, {
      appName,
      instanceId,
      ...(typeof body.sdkVersion === 'string' ? { sdkVersion: body.sdkVersion } : {}),
      ...(Array.isArray(body.strategies) ? { strategies: body.strategies.map(String) } : {}),
      ...(typeof body.interval === 'number' ? { interval: body.interval } : {}),
      ...(typeof body.started === 'string' ? { started: body.started } : {}),
      lastSeen: this.now(),
    });
  }

  clients(): RegisteredClient[] {
    return [...this.registered.values()];
  }

  /** Adds an SDK's metrics bucket (`{ bucket: { toggles: { name: { yes, no, variants } } } }`) to the flags' totals. */
  recordMetrics(body: { appName?: string; instanceId?: string; bucket?: { toggles?: Record<string, { yes?: number; no?: number; variants?: Record<string, number> }> } }): number {
    const toggles = body.bucket?.toggles ?? {};
    const counts = Object.entries(toggles).map(([name, t]) => ({
      name,
      yes: count(t?.yes),
      no: count(t?.no),
      variants: Object.fromEntries(Object.entries(t?.variants ?? {}).map(([k, n]) => [k, count(n)])),
    }));
    if (counts.length) this.store.addFlagMetrics(counts, this.now());
    if (body.appName && body.instanceId) {
      const key = `${body.appName}\0${body.instanceId}`;
      const known = this.registered.get(key);
      if (known) known.lastSeen = this.now();
    }
    return counts.length;
  }

  // ---- internals ----

  private diff(next: Map<string, FeatureDefinition>, segments: Map<number, Segment>, opts: ChangeOptions & { configHashes?: Record<string, string> }): PreparedFlagChange {
    const issues = stateIssues({ features: [...next.values()], segments: [...segments.values()] });
    if (issues.length) throw new FlagInvalidError('the flags after this change', issues);
    const time = this.now();
    const change: Required<FlagChange> = { putFlags: [], deleteFlags: [], putSegments: [], deleteSegments: [] };
    const events: NewFlagEvent[] = [];
    const base = { time, actor: opts.actor, ...(opts.reason ? { reason: opts.reason } : {}) };
    for (const [name, def] of next) {
      const before = this.flags.get(name);
      const hash = opts.configHashes?.[name] ?? before?.configHash;
      if (before && canonical(before.definition) === canonical(def) && hash === before.configHash) continue;
      change.putFlags.push({ name, definition: def, ...(hash ? { configHash: hash } : {}), updatedAt: time });
      if (before && canonical(before.definition) === canonical(def)) continue; // only the config hash moved
      events.push({ ...base, kind: 'flag', name, type: before ? 'updated' : 'created', before: before?.definition ?? null, after: def });
    }
    for (const [name, before] of this.flags) {
      if (next.has(name)) continue;
      change.deleteFlags.push(name);
      events.push({ ...base, kind: 'flag', name, type: 'deleted', before: before.definition, after: null });
    }
    for (const [id, s] of segments) {
      const before = this.segments.get(id);
      if (before && canonical(before) === canonical(s)) continue;
      change.putSegments.push(s);
      events.push({ ...base, kind: 'segment', name: String(id), type: before ? 'updated' : 'created', before: before ?? null, after: s });
    }
    for (const [id, before] of this.segments) {
      if (segments.has(id)) continue;
      change.deleteSegments.push(id);
      events.push({ ...base, kind: 'segment', name: String(id), type: 'deleted', before, after: null });
    }
    return { change, events };
  }

  private reload(): FlagSnapshot {
    this.flags = new Map(this.store.listFlags().map((f) => [f.name, f]));
    this.segments = new Map(this.store.listSegments().map((s) => [s.id, s]));
    const features = [...this.flags.values()].map((f) => clientFeature(f.definition));
    const document: FeaturesDocument = { version: 2, features, segments: [...this.segments.values()] };
    return { revision: this.store.flagRevision(), document, evaluator: new FlagEvaluator(document) };
  }
}

/** A flag as SDKs see it: strategies switched off in the definition are not sent. */
function clientFeature(f: FeatureDefinition): FeatureDefinition {
  if (!f.strategies.some((s) => s.disabled)) return f;
  return { ...f, strategies: f.strategies.filter((s) => !s.disabled) };
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
