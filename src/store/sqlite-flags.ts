/**
 * The flag tables of the SQLite store (migration 2): `flags` (one row per
 * flag, its definition as JSON), `flag_segments`, `flag_events` (the change
 * log, newest N per flag or segment) and `flag_metrics` (the SDKs' counts).
 * SqliteStore calls these inside its own transactions.
 */
import type Database from 'better-sqlite3';
import type { Segment } from '../flags/model.ts';
import type { FlagChange, FlagEvent, FlagEventQuery, FlagMetrics, NewFlagEvent, StoredFlag } from '../flags/records.ts';

export function listFlags(db: Database.Database): StoredFlag[] {
  const rows = db.prepare('SELECT name, body, config_hash, updated_at FROM flags ORDER BY name').all() as { name: string; body: string; config_hash: string | null; updated_at: number }[];
  return rows.map((r) => ({ name: r.name, definition: JSON.parse(r.body), ...(r.config_hash !== null ? { configHash: r.config_hash } : {}), updatedAt: r.updated_at }));
}

export function listSegments(db: Database.Database): Segment[] {
  return (db.prepare('SELECT body FROM flag_segments ORDER BY id').all() as { body: string }[]).map((r) => JSON.parse(r.body) as Segment);
}

/** Call inside a transaction. */
export function applyFlagChange(db: Database.Database, change: FlagChange, events: NewFlagEvent[], keepPerName: number): FlagEvent[] {
  const putFlag = db.prepare(
    'INSERT INTO flags (name, body, config_hash, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body, config_hash = excluded.config_hash, updated_at = excluded.updated_at',
  );
  for (const f of change.putFlags ?? []) putFlag.run(f.name, JSON.stringify(f.definition), f.configHash ?? null, f.updatedAt);
  const delFlag = db.prepare('DELETE FROM flags WHERE name = ?');
  for (const name of change.deleteFlags ?? []) delFlag.run(name);
  const putSegment = db.prepare('INSERT INTO flag_segments (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body');
  for (const s of change.putSegments ?? []) putSegment.run(s.id, JSON.stringify(s));
  const delSegment = db.prepare('DELETE FROM flag_segments WHERE id = ?');
  for (const id of change.deleteSegments ?? []) delSegment.run(id);

  const insert = db.prepare('INSERT INTO flag_events (time, kind, name, type, actor, before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const stored = events.map((e) => ({
    ...e,
    id: Number(insert.run(e.time, e.kind, e.name, e.type, e.actor, json(e.before), json(e.after), e.reason ?? null).lastInsertRowid),
  }));
  const trim = db.prepare(
    'DELETE FROM flag_events WHERE kind = @kind AND name = @name AND id < (SELECT MIN(id) FROM (SELECT id FROM flag_events WHERE kind = @kind AND name = @name ORDER BY id DESC LIMIT @keep))',
  );
  const seen = new Set<string>();
  for (const e of events) {
    const key = `${e.kind}\0${e.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    trim.run({ kind: e.kind, name: e.name, keep: keepPerName });
  }
  return stored;
}

export function listFlagEvents(db: Database.Database, query: FlagEventQuery): FlagEvent[] {
  const params = { name: query.name ?? null, since: query.sinceId ?? null, limit: query.limit ?? 1000 };
  const where = 'WHERE (@name IS NULL OR name = @name) AND (@since IS NULL OR id > @since)';
  const sql =
    query.sinceId === undefined
      ? `SELECT * FROM (SELECT * FROM flag_events ${where} ORDER BY id DESC LIMIT @limit) ORDER BY id`
      : `SELECT * FROM flag_events ${where} ORDER BY id LIMIT @limit`;
  return (db.prepare(sql).all(params) as EventRow[]).map((r) => ({
    id: r.id,
    time: r.time,
    kind: r.kind as FlagEvent['kind'],
    name: r.name,
    type: r.type as FlagEvent['type'],
    actor: r.actor,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
    ...(r.reason !== null ? { reason: r.reason } : {}),
  }));
}

export function flagRevision(db: Database.Database): number {
  // The AUTOINCREMENT counter survives trimming and never goes back.
  const row = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'flag_events'").get() as { seq: number } | undefined;
  return row?.seq ?? 0;
}

/** Call inside a transaction. */
export function addFlagMetrics(db: Database.Database, counts: Omit<FlagMetrics, 'lastSeen'>[], time: number): void {
  const get = db.prepare('SELECT yes, no, variants FROM flag_metrics WHERE name = ?');
  const put = db.prepare('INSERT INTO flag_metrics (name, yes, no, variants, last_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET yes = excluded.yes, no = excluded.no, variants = excluded.variants, last_seen = excluded.last_seen');
  for (const c of counts) {
    const row = get.get(c.name) as { yes: number; no: number; variants: string } | undefined;
    const variants: Record<string, number> = row ? JSON.parse(row.variants) : {};
    for (const [k, n] of Object.entries(c.variants)) variants[k] = (variants[k] ?? 0) + n;
    put.run(c.name, (row?.yes ?? 0) + c.yes, (row?.no ?? 0) + c.no, JSON.stringify(variants), time);
  }
}

export function listFlagMetrics(db: Database.Database, name?: string): FlagMetrics[] {
  const rows = db.prepare('SELECT * FROM flag_metrics WHERE (@name IS NULL OR name = @name) ORDER BY name').all({ name: name ?? null }) as {
    name: string;
    yes: number;
    no: number;
    variants: string;
    last_seen: number;
  }[];
  return rows.map((r) => ({ name: r.name, yes: r.yes, no: r.no, variants: JSON.parse(r.variants), lastSeen: r.last_seen }));
}

interface EventRow {
  id: number;
  time: number;
  kind: string;
  name: string;
  type: string;
  actor: string;
  before: string | null;
  after: string | null;
  reason: string | null;
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}
