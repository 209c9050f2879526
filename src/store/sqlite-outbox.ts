/**
 * The outbox tables of the SQLite store (migration 3): `outbox_cursors` (per event log, the last event id turned
 * into deliveries) and `deliveries`. SqliteStore calls these inside its own transactions.
 */
import type Database from 'better-sqlite3';
import type { Delivery, DeliveryCount, DeliveryQuery, DeliveryUpdate, NewDelivery, OutboxStream } from './outbox.ts';

export function outboxCursor(db: Database.Database, stream: OutboxStream): number {
  const row = db.prepare('SELECT last_id FROM outbox_cursors WHERE stream = ?').get(stream) as { last_id: number } | undefined;
  return row?.last_id ?? 0;
}

/** Call inside a transaction. False (and nothing written) when the cursor is no longer at `from`. */
export function enqueueDeliveries(db: Database.Database, stream: OutboxStream, from: number, to: number, deliveries: NewDelivery[]): boolean {
  const moved = db.prepare('UPDATE outbox_cursors SET last_id = ? WHERE stream = ? AND last_id = ?').run(to, stream, from);
  if (moved.changes !== 1) return false;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO deliveries (id, hook, stream, event_id, event, service, revision, body, state, attempts, next_attempt_at, created_at, updated_at)
     VALUES (@id, @hook, @stream, @eventId, @event, @service, @revision, @body, 'pending', 0, @createdAt, @createdAt, @createdAt)`,
  );
  for (const d of deliveries) insert.run(d);
  return true;
}

export function dueDeliveries(db: Database.Database, now: number, limit: number): Delivery[] {
  const rows = db.prepare("SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?").all(now, limit) as DeliveryRow[];
  return rows.map(fromRow);
}

/** Call inside a transaction. Finished deliveries of the hook beyond the newest `keep` are deleted. */
export function updateDelivery(db: Database.Database, u: DeliveryUpdate, keep: number): void {
  db.prepare(
    'UPDATE deliveries SET state = @state, attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = @lastStatus, last_error = @lastError, updated_at = @time WHERE id = @id',
  ).run(u);
  if (u.state === 'pending') return;
  const row = db.prepare('SELECT hook FROM deliveries WHERE id = ?').get(u.id) as { hook: string } | undefined;
  if (!row) return;
  db.prepare(
    `DELETE FROM deliveries WHERE hook = @hook AND state != 'pending' AND seq < (
       SELECT MIN(seq) FROM (SELECT seq FROM deliveries WHERE hook = @hook AND state != 'pending' ORDER BY seq DESC LIMIT @keep))`,
  ).run({ hook: row.hook, keep });
}

export function listDeliveries(db: Database.Database, q: DeliveryQuery): Delivery[] {
  const rows = db
    .prepare('SELECT * FROM deliveries WHERE (@hook IS NULL OR hook = @hook) AND (@state IS NULL OR state = @state) ORDER BY seq DESC LIMIT @limit')
    .all({ hook: q.hook ?? null, state: q.state ?? null, limit: q.limit ?? 100 }) as DeliveryRow[];
  return rows.map(fromRow);
}

export function countDeliveries(db: Database.Database): DeliveryCount[] {
  return db.prepare('SELECT hook, state, COUNT(*) AS count FROM deliveries GROUP BY hook, state ORDER BY hook, state').all() as DeliveryCount[];
}

interface DeliveryRow {
  id: string;
  hook: string;
  stream: string;
  event_id: number;
  event: string;
  service: string | null;
  revision: number | null;
  body: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

function fromRow(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    hook: r.hook,
    stream: r.stream as OutboxStream,
    eventId: r.event_id,
    event: r.event,
    service: r.service,
    revision: r.revision,
    body: r.body,
    state: r.state as Delivery['state'],
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
