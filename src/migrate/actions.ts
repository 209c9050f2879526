/**
 * What operations return: SQL steps as data, with stable ids. A coordinator
 * (executor.ts) runs them; `--dry-run` prints the same list.
 */

/**
 * ddl: runs inside a transaction under lock_timeout.
 * concurrent: CREATE/DROP INDEX CONCURRENTLY, which cannot run in a transaction.
 * validate: VALIDATE CONSTRAINT, in its own short transaction (it does not block writes).
 * backfill: touches every existing row of a table in batches so the sync triggers fill new columns.
 */
export type ActionKind = 'ddl' | 'concurrent' | 'validate' | 'backfill';

/**
 * Order of DDL inside the single complete/rollback transaction: triggers go
 * before the columns they read, views before the columns they show, columns are
 * dropped before shadows take their names, tables are renamed last, and
 * `sql` operations with `onComplete` run after everything else.
 */
export const STAGE = { triggers: 0, views: 1, drop: 2, rename: 3, constrain: 4, renameTable: 5, sql: 6 } as const;
export type Stage = (typeof STAGE)[keyof typeof STAGE];

export interface Action {
  /** Stable id: `<operation index>.<operation kind>.<step>`. */
  id: string;
  kind: ActionKind;
  sql: string;
  stage: Stage;
  /** For concurrent index builds: what removes a half-built (INVALID) index before a retry. */
  cleanup?: string;
  /** For backfills: the physical table and the key to page through (empty: no primary key). */
  backfill?: { table: string; key: string[]; touch: string };
}

export function ddl(id: string, sql: string, stage: Stage = STAGE.drop): Action {
  return { id, kind: 'ddl', sql, stage };
}

export function concurrent(id: string, sql: string, cleanup?: string): Action {
  return cleanup === undefined ? { id, kind: 'concurrent', sql, stage: STAGE.drop } : { id, kind: 'concurrent', sql, stage: STAGE.drop, cleanup };
}

export function validate(id: string, sql: string): Action {
  return { id, kind: 'validate', sql, stage: STAGE.constrain };
}

/** Sorts by stage, keeping operation order within a stage. */
export function byStage(actions: Action[]): Action[] {
  return actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.stage - y.a.stage || x.i - y.i).map((x) => x.a);
}

/** One line per action, for --dry-run and logs. */
export function describeAction(a: Action): string {
  if (a.kind === 'backfill' && a.backfill) {
    const how = a.backfill.key.length ? `keyset on (${a.backfill.key.join(', ')})` : 'ctid ranges';
    return `[${a.id}] backfill ${a.backfill.table} in batches, ${how}`;
  }
  return `[${a.id}] ${a.kind}: ${a.sql}`;
}
