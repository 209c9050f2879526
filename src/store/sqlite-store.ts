/**
 * The embedded store: one SQLite file, `<stateDir>/state.db`, in WAL mode with
 * synchronous=FULL so a committed transition survives kill -9 and power loss.
 * Each transition is one transaction, so a crash leaves the old state or the
 * new one, never half of each.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Segment } from '../flags/model.ts';
import type { FlagChange, FlagEvent, FlagEventQuery, FlagMetrics, NewFlagEvent, StoredFlag } from '../flags/records.ts';
import type { InstanceRecord } from '../runtime/provider.ts';
import { upgradeInstanceRecord, upgradeRolloutState, type Revision, type RolloutEvent, type RolloutState } from './records.ts';
import { StoreError } from './errors.ts';
import { MIGRATIONS } from './migrations.ts';
import * as flagTables from './sqlite-flags.ts';
import { EVENTS_PER_SERVICE, type EventQuery, type NewEvent, type NewRevision, type Store, type StoreOptions } from './store.ts';

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly eventsPerService: number;

  /** Opens (creating if needed) `<stateDir>/state.db` and applies pending migrations. */
  constructor(opts: { stateDir: string } & StoreOptions) {
    this.eventsPerService = opts.eventsPerService ?? EVENTS_PER_SERVICE;
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    this.file = join(opts.stateDir, 'state.db');
    try {
      this.db = new Database(this.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
      // Revisions carry their env, which may hold secrets: the files are the owner's alone.
      for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    } catch (err) {
      throw new StoreError(`cannot open the state store ${this.file}`, err);
    }
  }

  createRevision(rev: NewRevision): Revision {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM revisions WHERE service = ?').get(rev.service) as { n: number };
      const full: Revision = { ...rev, number: row.n };
      this.db.prepare('INSERT INTO revisions (service, number, body, created_at) VALUES (?, ?, ?, ?)').run(rev.service, row.n, JSON.stringify(full), rev.createdAt);
      return full;
    }).immediate();
  }

  getRevision(service: string, number: number): Revision | undefined {
    const row = this.db.prepare('SELECT body FROM revisions WHERE service = ? AND number = ?').get(service, number) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Revision) : undefined;
  }

  listRevisions(service: string): Revision[] {
    const rows = this.db.prepare('SELECT body FROM revisions WHERE service = ? ORDER BY number').all(service) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as Revision);
  }

  pruneRevisions(service: string, keep: number, protect: number[]): number[] {
    return this.db.transaction(() => {
      const numbers = (this.db.prepare('SELECT number FROM revisions WHERE service = ? ORDER BY number DESC').all(service) as { number: number }[]).map((r) => r.number);
      const doomed = numbers.slice(keep).filter((n) => !protect.includes(n));
      const del = this.db.prepare('DELETE FROM revisions WHERE service = ? AND number = ?');
      for (const n of doomed) del.run(service, n);
      return doomed.sort((a, b) => a - b);
    }).immediate();
  }

  getRollout(service: string): RolloutState | undefined {
    const row = this.db.prepare('SELECT body FROM rollouts WHERE service = ?').get(service) as { body: string } | undefined;
    return row ? upgradeRolloutState(JSON.parse(row.body)) : undefined;
  }

  listRollouts(): RolloutState[] {
    const rows = this.db.prepare('SELECT body FROM rollouts ORDER BY service').all() as { body: string }[];
    return rows.map((r) => upgradeRolloutState(JSON.parse(r.body)));
  }

  saveRollout(state: RolloutState, events: NewEvent[] = []): RolloutEvent[] {
    return this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO rollouts (service, shape_version, generation, body, updated_at) VALUES (@service, @v, 1, @body, @updatedAt)
           ON CONFLICT (service) DO UPDATE SET shape_version = @v, generation = generation + 1, body = @body, updated_at = @updatedAt`,
        )
        .run({ service: state.service, v: state.v, body: JSON.stringify(state), updatedAt: state.updatedAt });
      return this.insertEvents(events);
    }).immediate();
  }

  putInstance(record: InstanceRecord): void {
    this.db
      .prepare('INSERT INTO instances (id, service, revision, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, service = excluded.service, revision = excluded.revision')
      // The column is TEXT (revisions were strings once): bind the number as its decimal text, never as a REAL ("2.0").
      .run(record.id, record.service, String(record.revision), JSON.stringify(record));
  }

  deleteInstance(id: string): void {
    this.db.prepare('DELETE FROM instances WHERE id = ?').run(id);
  }

  listInstances(filter: { service?: string; revision?: number } = {}): InstanceRecord[] {
    const rows = this.db
      .prepare('SELECT body FROM instances WHERE (@service IS NULL OR service = @service) AND (@revision IS NULL OR revision = @revision) ORDER BY id')
      .all({ service: filter.service ?? null, revision: filter.revision === undefined ? null : String(filter.revision) }) as { body: string }[];
    return rows.map((r) => upgradeInstanceRecord(JSON.parse(r.body)));
  }

  appendEvents(events: NewEvent[]): RolloutEvent[] {
    return this.db.transaction(() => this.insertEvents(events)).immediate();
  }

  listEvents(query: EventQuery = {}): RolloutEvent[] {
    const limit = query.limit ?? 1000;
    const params = { service: query.service ?? null, since: query.sinceId ?? null, limit };
    const where = 'WHERE (@service IS NULL OR service = @service) AND (@since IS NULL OR id > @since)';
    const sql =
      query.sinceId === undefined
        ? `SELECT * FROM (SELECT * FROM events ${where} ORDER BY id DESC LIMIT @limit) ORDER BY id`
        : `SELECT * FROM events ${where} ORDER BY id LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as EventRow[]).map(fromRow);
  }

  listFlags(): StoredFlag[] {
    return flagTables.listFlags(this.db);
  }

  listSegments(): Segment[] {
    return flagTables.listSegments(this.db);
  }

  applyFlagChange(change: FlagChange, events: NewFlagEvent[]): FlagEvent[] {
    return this.db.transaction(() => flagTables.applyFlagChange(this.db, change, events, this.eventsPerService)).immediate();
  }

  listFlagEvents(query: FlagEventQuery = {}): FlagEvent[] {
    return flagTables.listFlagEvents(this.db, query);
  }

  flagRevision(): number {
    return flagTables.flagRevision(this.db);
  }

  addFlagMetrics(counts: Omit<FlagMetrics, 'lastSeen'>[], time: number): void {
    this.db.transaction(() => flagTables.addFlagMetrics(this.db, counts, time)).immediate();
  }

  listFlagMetrics(name?: string): FlagMetrics[] {
    return flagTables.listFlagMetrics(this.db, name);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private insertEvents(events: NewEvent[]): RolloutEvent[] {
    const insert = this.db.prepare('INSERT INTO events (service, time, type, reason, revision) VALUES (?, ?, ?, ?, ?)');
    const stored = events.map((e) => ({ ...e, id: Number(insert.run(e.service, e.time, e.type, e.reason, e.revision ?? null).lastInsertRowid) }));
    // The newest N ids of the service come from its index (service, id): a bounded read per transition.
    const trim = this.db.prepare(
      'DELETE FROM events WHERE service = @service AND id < (SELECT MIN(id) FROM (SELECT id FROM events WHERE service = @service ORDER BY id DESC LIMIT @keep))',
    );
    for (const service of new Set(events.map((e) => e.service))) trim.run({ service, keep: this.eventsPerService });
    return stored;
  }
}

interface EventRow {
  id: number;
  service: string;
  time: number;
  type: string;
  reason: string;
  revision: number | null;
}

function fromRow(r: EventRow): RolloutEvent {
  return { id: r.id, service: r.service, time: r.time, type: r.type, reason: r.reason, ...(r.revision !== null ? { revision: r.revision } : {}) };
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let current = row?.version ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(`state.db has schema version ${current}, newer than this cutover knows (${MIGRATIONS.length})`);
  }
  for (; current < MIGRATIONS.length; current++) {
    const next = current + 1;
    db.transaction(() => {
      db.exec(MIGRATIONS[current]!);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(next);
    }).immediate();
  }
}
