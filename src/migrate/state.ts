/**
 * Migration state, kept in a `cutover` schema in the user's database so it
 * lives and dies with the data, plus the advisory lock that serialises runs.
 */
import type pg from 'pg';
import type { Migration } from './file-schema.ts';
import type { SchemaModel } from './model.ts';
import { MigrationLockedError } from './errors.ts';

export type MigrationStatus = 'in_progress' | 'completed';

export interface MigrationRecord {
  name: string;
  baseSchema: string;
  versionSchema: string;
  /** The version schema the old app version reads through (null: the base schema itself). */
  previousSchema: string | null;
  status: MigrationStatus;
  startedAt: Date;
  completedAt: Date | null;
  migration: Migration;
  /** The schema model before start, so complete and rollback replan exactly what start did. */
  snapshot: SchemaModel;
}

const LOCK_KEY = "hashtext('cutover.migrate')";

export async function ensureStateSchema(client: pg.ClientBase): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS cutover`);
  await client.query(`CREATE TABLE IF NOT EXISTS cutover.migrations (
    name text PRIMARY KEY,
    base_schema text NOT NULL,
    version_schema text NOT NULL,
    previous_schema text,
    status text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    migration jsonb NOT NULL,
    snapshot jsonb NOT NULL
  )`);
  // At most one migration in progress, enforced by the database as well as by the lock.
  await client.query(`CREATE UNIQUE INDEX IF NOT EXISTS migrations_one_in_progress ON cutover.migrations ((true)) WHERE status = 'in_progress'`);
}

/** Takes the session advisory lock or fails at once: two runs never overlap, and none waits silently. */
export async function acquireRunLock(client: pg.ClientBase): Promise<void> {
  const r = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`);
  if (!r.rows[0]?.ok) throw new MigrationLockedError();
}

export async function releaseRunLock(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
}

export async function listMigrations(client: pg.ClientBase): Promise<MigrationRecord[]> {
  const exists = await client.query(`SELECT to_regclass('cutover.migrations') IS NOT NULL AS ok`);
  if (!exists.rows[0]?.ok) return [];
  const r = await client.query(`SELECT * FROM cutover.migrations ORDER BY started_at, name`);
  return r.rows.map(toRecord);
}

export async function inProgress(client: pg.ClientBase): Promise<MigrationRecord | null> {
  return (await listMigrations(client)).find((m) => m.status === 'in_progress') ?? null;
}

export async function insertRecord(client: pg.ClientBase, rec: Omit<MigrationRecord, 'startedAt' | 'completedAt' | 'status'>): Promise<void> {
  await client.query(
    `INSERT INTO cutover.migrations (name, base_schema, version_schema, previous_schema, status, migration, snapshot)
     VALUES ($1, $2, $3, $4, 'in_progress', $5, $6)`,
    [rec.name, rec.baseSchema, rec.versionSchema, rec.previousSchema, JSON.stringify(rec.migration), JSON.stringify(rec.snapshot)],
  );
}

export async function markCompleted(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`UPDATE cutover.migrations SET status = 'completed', completed_at = now() WHERE name = $1`, [name]);
}

export async function deleteRecord(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DELETE FROM cutover.migrations WHERE name = $1`, [name]);
}

function toRecord(row: Record<string, unknown>): MigrationRecord {
  return {
    name: row.name as string,
    baseSchema: row.base_schema as string,
    versionSchema: row.version_schema as string,
    previousSchema: (row.previous_schema as string | null) ?? null,
    status: row.status as MigrationStatus,
    startedAt: row.started_at as Date,
    completedAt: (row.completed_at as Date | null) ?? null,
    migration: row.migration as Migration,
    snapshot: row.snapshot as SchemaModel,
  };
}
