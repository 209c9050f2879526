/**
 * Every `up`/`down` (and default, check) expression of a migration is prepared
 * at start, before anything changes, against a row shaped like the one the
 * trigger will see: a `down` that names a column the new version does not
 * have is refused here, instead of failing every new-version write later.
 *
 * PREPARE parses and resolves the statement (names, functions, operators,
 * types) without running it, inside a transaction that is rolled back.
 */
import type pg from 'pg';
import { ExpressionInvalidError } from './errors.ts';
import type { MigrationPlan } from './plan.ts';
import { OPERATIONS } from './operations/index.ts';
import type { ExpressionCheck, Operation } from './operations/types.ts';
import { ident } from './sql.ts';

export interface PlannedExpression extends ExpressionCheck {
  index: number;
  kind: string;
}

export function plannedExpressions(plan: MigrationPlan): PlannedExpression[] {
  return plan.steps.flatMap(({ op, ctx }) => {
    const impl = OPERATIONS[op.kind] as Operation<typeof op.kind>;
    return (impl.expressions?.(op.spec as never, ctx) ?? []).map((e) => ({ ...e, index: ctx.index, kind: op.kind }));
  });
}

/**
 * The statement PREPARE checks: the expression over one row of the shape (no
 * row is read). The row is called `new`, so `NEW.col` resolves as it does in
 * the trigger.
 */
export function probeSql(e: ExpressionCheck): string {
  const cols = e.columns.map((c) => `NULL::${c.type} AS ${ident(c.name)}`);
  const row = `(SELECT ${cols.length ? cols.join(', ') : '1 AS "?column?"'}) AS "new"`;
  return `SELECT (${e.sql}) FROM ${row}`;
}

export async function checkExpressions(client: pg.ClientBase, plan: MigrationPlan, baseSchema: string): Promise<void> {
  const checks = plannedExpressions(plan);
  if (checks.length === 0) return;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL search_path = ${ident(baseSchema)}`);
    await client.query(`SET LOCAL statement_timeout = '10s'`);
    for (const e of checks) {
      const name = `cutover_check_${e.index}`;
      try {
        await client.query(`SAVEPOINT ${name}`);
        await client.query(`PREPARE ${name} AS ${probeSql(e)}`);
        await client.query(`DEALLOCATE ${name}`);
        await client.query(`RELEASE SAVEPOINT ${name}`);
      } catch (err) {
        const pgErr = err as { message?: string; code?: string };
        throw new ExpressionInvalidError({
          op: e.kind,
          index: e.index,
          field: e.field,
          table: e.table,
          shape: e.shape,
          purpose: e.purpose,
          columns: e.columns.map((c) => c.name),
          problem: pgErr.message ?? String(err),
          sqlState: pgErr.code,
        });
      }
    }
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
