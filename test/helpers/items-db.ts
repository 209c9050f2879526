/**
 * A throwaway PostgreSQL holding an `items (id, name)` table, plus migration
 * files written to a temp dir: the fixture of the tests where rollouts and
 * migrations move together.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from './postgres.ts';

export interface ItemsDb {
  url: string;
  /** Directory holding the migration files. */
  files: string;
  stop(): Promise<void>;
}

export async function startItemsDb(migrations: Record<string, string>, seedRows = 0): Promise<ItemsDb> {
  const db = await startPostgres();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)');
  if (seedRows > 0) await client.query(`INSERT INTO items (name) SELECT 'seed ' || g FROM generate_series(1, $1::int) g`, [seedRows]);
  await client.end();
  const files = mkdtempSync(join(tmpdir(), 'cutover-migrations-'));
  for (const [name, body] of Object.entries(migrations)) writeFileSync(join(files, name), body);
  return {
    url: db.url,
    files,
    async stop() {
      await db.stop();
      rmSync(files, { recursive: true, force: true });
    },
  };
}

/** Migration files the tests share. */
export const ADD_PRICE = 'operations:\n  - add_column: { table: items, column: { name: price, type: integer, default: "0" } }\n';
export const RENAME_NAME = 'operations:\n  - rename_column: { table: items, from: name, to: title }\n';
