/**
 * Folds a migration's operations over the schema model: each operation is
 * validated against the schema as the operations before it left it, and its
 * context is kept so start, complete and rollback can ask it for actions.
 */
import { STAGE, byStage, ddl, type Action } from './actions.ts';
import { InvalidOperationError } from './errors.ts';
import type { Migration, OperationSpec } from './file-schema.ts';
import type { SchemaModel } from './model.ts';
import { OPERATIONS } from './operations/index.ts';
import type { Operation, OpContext } from './operations/types.ts';
import { ident } from './sql.ts';
import { createViews } from './versions.ts';

export interface PlannedOperation {
  op: OperationSpec;
  ctx: OpContext;
}

export interface MigrationPlan {
  migration: Migration;
  versionSchema: string;
  steps: PlannedOperation[];
  /** The schema as the new version sees it. */
  final: SchemaModel;
}

export function planMigration(migration: Migration, live: SchemaModel, versionSchema: string, check: boolean): MigrationPlan {
  if (check && migration.operations.length > 1 && migration.operations.some((o) => o.kind === 'sql' && !o.spec.onComplete)) {
    throw new InvalidOperationError('sql', 'a raw sql operation must be the only operation in its migration (unless it has "onComplete: true")', 'move it to a migration of its own');
  }
  let model = live;
  const steps = migration.operations.map((op, index) => {
    const ctx: OpContext = { index, kind: op.kind, migration: migration.name, versionSchema, model };
    const impl = OPERATIONS[op.kind] as Operation<typeof op.kind>;
    if (check) impl.validate(op.spec as never, ctx);
    model = impl.apply(op.spec as never, ctx);
    return { op, ctx };
  });
  return { migration, versionSchema, steps, final: model };
}

function actionsOf(plan: MigrationPlan, phase: 'start' | 'complete' | 'rollback'): Action[][] {
  return plan.steps.map(({ op, ctx }) => (OPERATIONS[op.kind] as Operation<typeof op.kind>)[phase](op.spec as never, ctx));
}

/** Start: per operation, its DDL (one transaction), index builds and backfills; then the version's views. */
export function startActions(plan: MigrationPlan): Action[][] {
  return [...actionsOf(plan, 'start'), createViews(plan.final, plan.versionSchema)];
}

/**
 * Complete: validations first (they do not block writes), then one transaction
 * that drops triggers, the previous version's views and old columns and moves
 * shadows into place, then concurrent index drops.
 */
export function completeActions(plan: MigrationPlan, previousSchema: string | null): Action[] {
  const all = actionsOf(plan, 'complete').flat();
  if (previousSchema) all.push(ddl('complete.drop-previous-views', `DROP SCHEMA IF EXISTS ${ident(previousSchema)} CASCADE`, STAGE.views));
  return byStage(all);
}

/** Rollback: the new version's views go first, then each operation's undo, last operation first. */
export function rollbackActions(plan: MigrationPlan): Action[] {
  const undo = actionsOf(plan, 'rollback').reverse().flat();
  undo.push(ddl('rollback.drop-views', `DROP SCHEMA IF EXISTS ${ident(plan.versionSchema)} CASCADE`, STAGE.views));
  return byStage(undo);
}
