/**
 * The coordinator: takes the run lock, plans, and runs the operations' actions
 * in the order that keeps every write from either version succeeding.
 */
import type pg from 'pg';
import { describeAction, type Action } from './actions.ts';
import { InvalidOperationError, MigrationAlreadyAppliedError, MigrationInProgressError, MigrationStartFailedError, NoMigrationInProgressError } from './errors.ts';
import { Executor, DEFAULT_EXECUTOR_OPTIONS, type ExecutorOptions } from './executor.ts';
import type { Migration } from './file-schema.ts';
import { readSchema } from './model.ts';
import { completeActions, planMigration, rollbackActions, startActions, type MigrationPlan } from './plan.ts';
import * as state from './state.ts';
import { createViews, pgOptionsFor, searchPathFor, versionSchemaName, type SchemaNaming } from './versions.ts';
import { checkExpressions } from './expressions.ts';
import { lintMigration, type MigrationWarning } from './lint.ts';

export interface RunOptions extends ExecutorOptions {
  dryRun: boolean;
  baseSchema: string;
  /** How a new version schema is named (`cutover_<name>` or pgroll's `public_<name>`). */
  schemaNaming: SchemaNaming;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { ...DEFAULT_EXECUTOR_OPTIONS, dryRun: false, baseSchema: 'public', schemaNaming: 'cutover' };

export interface VersionInfo {
  name: string | null;
  schema: string;
  searchPath: string;
  pgOptions: string;
}

export async function runStart(
  client: pg.ClientBase,
  migration: Migration,
  opts: RunOptions,
): Promise<VersionInfo & { name: string; actions: Action[]; warnings: MigrationWarning[] }> {
  return withRunLock(client, async () => {
    if (!opts.dryRun) await state.ensureStateSchema(client);
    const all = await state.listMigrations(client);
    const current = all.find((m) => m.status === 'in_progress');
    if (current) throw new MigrationInProgressError(current.name);
    if (all.some((m) => m.name === migration.name)) throw new MigrationAlreadyAppliedError(migration.name);
    const warnings = lintMigration(migration, opts.schemaNaming);
    for (const w of warnings) opts.log(`warning ${w.code}: ${w.message}`);
    const versionSchema = versionSchemaName(migration, opts.schemaNaming, opts.baseSchema);
    await requireSchemaFree(client, versionSchema);
    const live = await readSchema(client, opts.baseSchema);
    const plan = planMigration(migration, live, versionSchema, true);
    // Every up/down is prepared against its row before anything changes.
    await checkExpressions(client, plan, opts.baseSchema);
    const groups = startActions(plan);
    const info = { ...versionInfo(migration.name, versionSchema, opts.baseSchema), name: migration.name, actions: groups.flat(), warnings };
    if (opts.dryRun) {
      for (const a of info.actions) opts.log(describeAction(a));
      return info;
    }
    const previous = all.filter((m) => m.status === 'completed').at(-1)?.versionSchema ?? null;
    await state.insertRecord(client, { name: migration.name, baseSchema: opts.baseSchema, versionSchema, previousSchema: previous, migration, snapshot: live });
    await executeStart(client, plan, groups, opts);
    return info;
  });
}

export async function runComplete(client: pg.ClientBase, opts: RunOptions): Promise<{ name: string }> {
  return withRunLock(client, async () => {
    const rec = await state.inProgress(client);
    if (!rec) throw new NoMigrationInProgressError();
    const plan = planMigration(rec.migration, rec.snapshot, rec.versionSchema, false);
    const actions = completeActions(plan, rec.previousSchema);
    const exec = new Executor(client, opts);
    for (const a of actions.filter((x) => x.kind === 'validate')) await exec.run(a);
    const swap = actions.filter((x) => x.kind === 'ddl');
    // One transaction: no write ever sees a trigger that names a dropped column (pgroll#906).
    await exec.transactionOf('complete.swap', swap, (c) => state.markCompleted(c, rec.name));
    for (const a of actions.filter((x) => x.kind === 'concurrent')) await exec.run(a);
    return { name: rec.name };
  });
}

export async function runRollback(client: pg.ClientBase, opts: RunOptions): Promise<{ name: string }> {
  return withRunLock(client, async () => {
    const rec = await state.inProgress(client);
    if (!rec) throw new NoMigrationInProgressError();
    const plan = planMigration(rec.migration, rec.snapshot, rec.versionSchema, false);
    await undo(client, rollbackActions(plan), opts, (c) => state.deleteRecord(c, rec.name));
    return { name: rec.name };
  });
}

export interface MigrationStatusReport {
  inProgress: { name: string; schema: string; startedAt: Date } | null;
  latest: VersionInfo;
  migrations: { name: string; status: state.MigrationStatus; schema: string; startedAt: Date; completedAt: Date | null }[];
}

export async function runStatus(client: pg.ClientBase, baseSchema: string): Promise<MigrationStatusReport> {
  const all = await state.listMigrations(client);
  const current = all.find((m) => m.status === 'in_progress');
  const newest = current ?? all.filter((m) => m.status === 'completed').at(-1);
  return {
    inProgress: current ? { name: current.name, schema: current.versionSchema, startedAt: current.startedAt } : null,
    latest: newest ? versionInfo(newest.name, newest.versionSchema, newest.baseSchema) : versionInfo(null, baseSchema, baseSchema),
    migrations: all.map((m) => ({ name: m.name, status: m.status, schema: m.versionSchema, startedAt: m.startedAt, completedAt: m.completedAt })),
  };
}

function versionInfo(name: string | null, schema: string, base: string): VersionInfo {
  return { name, schema, searchPath: searchPathFor(schema, base), pgOptions: pgOptionsFor(schema, base, name) };
}

/** Runs each operation's DDL in one transaction, then its backfills and index builds, then the views. */
async function executeStart(client: pg.ClientBase, plan: MigrationPlan, groups: Action[][], opts: RunOptions): Promise<void> {
  const exec = new Executor(client, opts);
  let reached = -1;
  let step = 'begin';
  try {
    for (const [i, group] of groups.entries()) {
      reached = i;
      const isViews = i === plan.steps.length;
      // A raw-SQL migration's views must show the schema as its `up` left it.
      const first = plan.migration.operations[0];
      const rawSql = first?.kind === 'sql' && !first.spec.onComplete;
      const actions = isViews && rawSql ? createViews(await readSchema(client, opts.baseSchema), plan.versionSchema) : group;
      const ddl = actions.filter((a) => a.kind === 'ddl');
      step = ddl[0]?.id ?? step;
      try {
        await exec.transactionOf(step, ddl);
      } catch (err) {
        step = (err as { cutoverStep?: string }).cutoverStep ?? step;
        throw err;
      }
      for (const a of actions.filter((x) => x.kind !== 'ddl')) {
        step = a.id;
        await exec.run(a);
      }
    }
  } catch (err) {
    opts.log(`start failed at ${step}: ${(err as Error).message}; undoing`);
    // A raw SQL step that failed was rolled back with its transaction; only undo what ran.
    const failed = plan.steps[reached]?.op;
    const failedSql = failed?.kind === 'sql' && !failed.spec.onComplete;
    const done = { ...plan, steps: plan.steps.slice(0, failedSql ? reached : reached + 1) };
    await undo(client, rollbackActions(done), opts, (c) => state.deleteRecord(c, plan.migration.name));
    throw new MigrationStartFailedError(plan.migration.name, step, err);
  }
}

/** Index drops first (only the new version uses those indexes), then one transaction for the rest. */
async function undo(client: pg.ClientBase, actions: Action[], opts: RunOptions, extra: (c: pg.ClientBase) => Promise<void>): Promise<void> {
  const exec = new Executor(client, opts);
  for (const a of actions.filter((x) => x.kind === 'concurrent')) await exec.run(a);
  await exec.transactionOf('rollback', actions.filter((x) => x.kind === 'ddl'), extra);
}

async function requireSchemaFree(client: pg.ClientBase, schema: string): Promise<void> {
  const r = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
  if (r.rowCount) {
    throw new InvalidOperationError('start', `schema "${schema}" already exists`, 'drop the leftover schema or rename the migration');
  }
}

async function withRunLock<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await state.acquireRunLock(client);
  try {
    return await fn();
  } finally {
    await state.releaseRunLock(client).catch(() => undefined);
  }
}
