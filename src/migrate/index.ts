/**
 * Public API of expand/contract migrations; the rollout controller and the CLI
 * call these. Each call opens one connection and closes it before returning.
 */
import { statSync } from 'node:fs';
import pg from 'pg';
import { InvalidOperationError, NoPendingMigrationError } from './errors.ts';
import { SCHEMA_NAMINGS, type SchemaNaming } from './versions.ts';
import type { MigrationWarning } from './lint.ts';
import { listMigrationFiles, loadMigrationFile } from './load.ts';
import { DEFAULT_RUN_OPTIONS, runComplete, runRollback, runStart, runStatus, type MigrationStatusReport, type RunOptions, type VersionInfo } from './runner.ts';
import { listMigrations } from './state.ts';
import type { Migration } from './file-schema.ts';

export type { MigrationStatusReport, VersionInfo, MigrationWarning, SchemaNaming };
export { lintMigration, WARNING_CODES } from './lint.ts';
export { loadMigrationFile, listMigrationFiles } from './load.ts';
export { CutoverError } from '../errors.ts';
export * from './errors.ts';

export interface ConnectionOptions {
  databaseUrl: string;
  log?: (msg: string) => void;
  lockTimeoutMs?: number;
}

export interface StartOptions extends ConnectionOptions {
  /** A migration file, or a directory: then its first migration not yet applied. */
  file: string;
  batchSize?: number;
  batchDelayMs?: number;
  dryRun?: boolean;
  /**
   * Version schema names: `cutover` (`cutover_<name>`, the default) or `pgroll`
   * (`public_<name>`, as pgroll names them). Defaults to $CUTOVER_SCHEMA_NAMING.
   */
  schemaNaming?: SchemaNaming;
}

/** Expand: the new version's schema exists and both versions can read and write when this resolves. */
export async function startMigration(opts: StartOptions): Promise<{ name: string; schema: string; pgOptions: string; warnings: MigrationWarning[] }> {
  return withClient(opts.databaseUrl, async (client) => {
    const migration = await pickMigration(client, opts.file);
    const r = await runStart(client, migration, runOptions(opts));
    return { name: r.name, schema: r.schema, pgOptions: r.pgOptions, warnings: r.warnings };
  });
}

/** The naming to use: the option, else $CUTOVER_SCHEMA_NAMING, else `cutover`. */
export function schemaNamingOf(value: string | undefined = process.env.CUTOVER_SCHEMA_NAMING): SchemaNaming {
  if (value === undefined || value === '') return 'cutover';
  if (!(SCHEMA_NAMINGS as readonly string[]).includes(value)) {
    throw new InvalidOperationError('start', `schema naming "${value}" is not one of ${SCHEMA_NAMINGS.join(', ')}`, 'use cutover (cutover_<name>) or pgroll (public_<name>)');
  }
  return value as SchemaNaming;
}

/** Contract: only the new version's shape remains. */
export async function completeMigration(opts: ConnectionOptions): Promise<{ name: string }> {
  return withClient(opts.databaseUrl, (client) => runComplete(client, runOptions(opts)));
}

/** Undo start; rows written by either version during the window are kept. */
export async function rollbackMigration(opts: ConnectionOptions): Promise<{ name: string }> {
  return withClient(opts.databaseUrl, (client) => runRollback(client, runOptions(opts)));
}

export async function migrationStatus(opts: { databaseUrl: string }): Promise<MigrationStatusReport> {
  return withClient(opts.databaseUrl, (client) => runStatus(client, DEFAULT_RUN_OPTIONS.baseSchema));
}

/** The version a newly started app should use: schema, search_path and ready-made PGOPTIONS. */
export async function latestSchema(opts: { databaseUrl: string }): Promise<VersionInfo> {
  return (await migrationStatus(opts)).latest;
}

function runOptions(opts: Partial<StartOptions>): RunOptions {
  return {
    ...DEFAULT_RUN_OPTIONS,
    lockTimeoutMs: opts.lockTimeoutMs ?? DEFAULT_RUN_OPTIONS.lockTimeoutMs,
    batchSize: opts.batchSize ?? DEFAULT_RUN_OPTIONS.batchSize,
    batchDelayMs: opts.batchDelayMs ?? DEFAULT_RUN_OPTIONS.batchDelayMs,
    dryRun: opts.dryRun ?? false,
    schemaNaming: opts.schemaNaming ?? schemaNamingOf(),
    log: opts.log ?? (() => {}),
  };
}

async function pickMigration(client: pg.ClientBase, path: string): Promise<Migration> {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return loadMigrationFile(path);
  const applied = new Set((await listMigrations(client)).map((m) => m.name));
  for (const file of listMigrationFiles(path)) {
    const m = loadMigrationFile(file);
    if (!applied.has(m.name)) return m;
  }
  throw new NoPendingMigrationError(path);
}

async function withClient<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'cutover-migrate' });
  await client.connect();
  // A lost connection mid-run surfaces as a query error; keep it from crashing the process.
  client.on('error', () => {});
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
