/** Shared bits for migration tests: temp migration files, version clients, catalog snapshots and the operation-case harness. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { completeMigration, latestSchema, rollbackMigration, startMigration, type StartOptions } from '../../src/migrate/index.ts';
import { findPgBin, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

export class MigrationDir {
  readonly path = mkdtempSync(join(tmpdir(), 'cutover-migrations-'));

  /** Writes `<name>.json` and returns its path; `extra` adds top-level fields (name, version_schema). */
  write(name: string, operations: unknown[], extra: Record<string, unknown> = {}): string {
    const file = join(this.path, `${name}.json`);
    writeFileSync(file, JSON.stringify({ ...extra, operations }));
    return file;
  }

  /** Writes a file with the given text (YAML or JSON by extension). */
  writeText(fileName: string, text: string): string {
    const file = join(this.path, fileName);
    writeFileSync(file, text);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A client for one app version: `options` as returned by startMigration (pgOptions) or a search_path. */
export async function versionClient(url: string, options?: string): Promise<pg.Client> {
  const c = new pg.Client(options ? { connectionString: url, options } : { connectionString: url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export function searchPathOptions(searchPath: string): string {
  return `-c search_path=${searchPath}`;
}

/** Polls until `check` is true or the timeout passes (then the caller's assert fails with context). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

export const rows = async (c: pg.ClientBase, sql: string, params: unknown[] = []) => (await c.query(sql, params)).rows;
export const one = async (c: pg.ClientBase, sql: string, params: unknown[] = []) => (await c.query(sql, params)).rows[0];
export const exists = async (c: pg.ClientBase, rel: string) => (await one(c, 'SELECT to_regclass($1) IS NOT NULL AS ok', [rel])).ok as boolean;
export const rejects = (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code, e.message);
    return true;
  });

/**
 * Everything about a schema that a migration could change, read from the
 * catalogs: tables, columns (type, NOT NULL, default, identity, generated,
 * collation, comment, order), constraints (definition, validated), indexes,
 * triggers, views, sequences (and their owners), types, replica identity, and
 * the other schemas and Cutover's functions. Two snapshots are equal when
 * pg_dump of the app schemas would be (dropped columns aside, which pg_dump
 * does not show either).
 */
export async function schemaSnapshot(c: pg.ClientBase, schema = 'public'): Promise<Record<string, unknown>> {
  const q = async (sql: string) => (await c.query(sql, [schema])).rows;
  return {
    schemas: await q(`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'cutover') AND $1 = $1 ORDER BY 1`),
    tables: await q(`SELECT c.relname, c.relkind, c.relreplident, c.reloptions, obj_description(c.oid, 'pg_class') AS comment
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1`),
    columns: await q(`SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def,
                             a.attidentity, a.attgenerated, co.collname, col_description(c.oid, a.attnum) AS comment,
                             row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) AS position
                        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
                       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, position`),
    constraints: await q(`SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) AS def, k.convalidated, k.condeferrable, k.condeferred
                            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = $1 ORDER BY 1, 2`),
    indexes: await q(`SELECT i.relname, pg_get_indexdef(x.indexrelid) AS def, x.indisvalid, x.indisreplident, i.reloptions
                        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
                       WHERE n.nspname = $1 ORDER BY 1`),
    triggers: await q(`SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal ORDER BY 1, 2`),
    views: await q(`SELECT viewname, definition FROM pg_views WHERE schemaname = $1 ORDER BY 1`),
    sequences: await q(`SELECT s.relname, t.relname AS owner, a.attname AS owner_column, d.deptype
                          FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
                          LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                          LEFT JOIN pg_class t ON t.oid = d.refobjid LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                         WHERE n.nspname = $1 AND s.relkind = 'S' ORDER BY 1`),
    types: await q(`SELECT t.typname, t.typtype, ARRAY(SELECT enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
                      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'c') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') ORDER BY 1`),
    cutoverFunctions: await q(`SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'cutover' AND $1 = $1 ORDER BY 1`),
  };
}

/** `pg_dump --schema-only` of the base schema (the version schemas and Cutover's own are left out), or null without pg_dump. */
export async function schemaDump(url: string, schema = 'public'): Promise<string | null> {
  const bin = join(findPgBin(), 'pg_dump');
  if (!existsSync(bin)) return null;
  const { stdout } = await promisify(execFile)(bin, ['--schema-only', '--no-owner', '--no-privileges', '-n', schema, '-d', url], { maxBuffer: 64 * 1024 * 1024 });
  // The \restrict/\unrestrict keys of newer pg_dump differ on every run.
  return stdout.replace(/^\\(un)?restrict .*$/gm, '');
}

/** Asserts two snapshots are equal, naming the first part that differs. */
export function assertSameSchema(actual: Record<string, unknown>, expected: Record<string, unknown>, message: string): void {
  for (const key of Object.keys(expected)) assert.deepEqual(actual[key], expected[key], `${message}: ${key} differ`);
}

export interface Clients {
  old: pg.Client;
  neu: pg.Client;
  admin: pg.Client;
  schema: string;
}

/** One operation (or a few) taken through start → rollback → start → complete with both versions writing. */
export interface Case {
  name: string;
  setup: string;
  operations: unknown[];
  /** Extra top-level fields of the file (version_schema, ...). */
  file?: Record<string, unknown>;
  startOptions?: Partial<StartOptions>;
  /** Both versions running side by side (after each start). */
  during: (c: Clients) => Promise<void>;
  afterRollback?: (c: Clients) => Promise<void>;
  afterComplete: (c: Clients) => Promise<void>;
  /** Start → rollback leaves the schema exactly as before (default true). */
  rollbackRestoresSchema?: boolean;
}

/** Runs each case against one fresh PostgreSQL: start → rollback (schema equal to before) → start → complete. */
export function runCases(title: string, cases: Case[]): void {
  describe(title, () => {
    let pgs: TestPostgres;
    let admin: pg.Client;
    const dir = new MigrationDir();

    before(async () => {
      pgs = await startPostgres();
      admin = await versionClient(pgs.url);
    });
    after(async () => {
      await admin?.end();
      await pgs?.stop();
      dir.remove();
    });

    for (const [i, c] of cases.entries()) {
      test(c.name, async () => {
        if (c.setup) await admin.query(c.setup);
        const file = dir.write(`${i + 1}_${c.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}`, c.operations, c.file);
        const opts = { databaseUrl: pgs.url, file, ...c.startOptions };
        const before = await latestSchema({ databaseUrl: pgs.url });
        const old = await versionClient(pgs.url, searchPathOptions(before.searchPath));
        const opened: pg.Client[] = [old];
        try {
          const snapshot = await schemaSnapshot(admin);
          const dump = await schemaDump(pgs.url);
          const first = await startMigration(opts);
          const neu1 = await versionClient(pgs.url, first.pgOptions);
          opened.push(neu1);
          await c.during({ old, neu: neu1, admin, schema: first.schema });
          await neu1.end();
          opened.pop();
          assert.equal((await rollbackMigration({ databaseUrl: pgs.url })).name, first.name);
          if (c.rollbackRestoresSchema !== false) {
            assertSameSchema(await schemaSnapshot(admin), snapshot, 'start → rollback must leave the schema as it was');
            assert.equal(await schemaDump(pgs.url), dump, 'start → rollback must leave pg_dump --schema-only as it was');
          }
          await c.afterRollback?.({ old, neu: old, admin, schema: first.schema });

          const second = await startMigration(opts);
          const neu = await versionClient(pgs.url, second.pgOptions);
          opened.push(neu);
          await c.during({ old, neu, admin, schema: second.schema });
          await completeMigration({ databaseUrl: pgs.url });
          await c.afterComplete({ old, neu, admin, schema: second.schema });
          const leftovers = await rows(admin, `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'cutover%'`);
          assert.deepEqual(leftovers, [], 'complete leaves no sync triggers');
          // (Index columns keep the name they were built under; only tables count.)
          const shadows = await rows(
            admin,
            `SELECT attrelid::regclass::text AS t, attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relkind = 'r' AND attname LIKE '\\_cutover%' AND NOT attisdropped`,
          );
          assert.deepEqual(shadows, [], 'complete leaves no shadow columns');
        } finally {
          for (const cl of opened) await cl.end().catch(() => undefined);
          // A failed case must not leave its migration in progress for the next one.
          await rollbackMigration({ databaseUrl: pgs.url }).catch(() => undefined);
        }
      });
    }
  });
}

/** Catalog facts about one column, for short assertions. */
export async function columnInfo(c: pg.ClientBase, table: string, column: string): Promise<{ type: string; nullable: boolean; default: string | null; comment: string | null } | undefined> {
  const r = await one(
    c,
    `SELECT format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default,
            col_description(a.attrelid, a.attnum) AS comment
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    [`public.${table}`, column],
  );
  return r as never;
}

/** Constraint definitions of a table by name (pg_get_constraintdef), with whether each is validated. */
export async function constraintsOf(c: pg.ClientBase, table: string): Promise<Record<string, string>> {
  const r = await rows(c, `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = to_regclass($1) ORDER BY 1`, [`public.${table}`]);
  return Object.fromEntries(r.map((x) => [x.conname, `${x.def}${x.convalidated ? '' : ' [not valid]'}`]));
}

export async function columnsOf(c: pg.ClientBase, table: string): Promise<string[]> {
  const r = await rows(c, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, [table]);
  return r.map((x) => x.column_name as string);
}

export async function indexesOf(c: pg.ClientBase, table: string): Promise<Record<string, string>> {
  const r = await rows(c, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1 ORDER BY 1`, [table]);
  return Object.fromEntries(r.map((x) => [x.indexname, (x.indexdef as string).replace(/^CREATE (UNIQUE )?INDEX \S+ ON public\.\S+ /, '$1')]));
}
