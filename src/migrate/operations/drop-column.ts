/**
 * drop_column: the new version's view leaves the column out; complete drops
 * it. With `down`, a trigger fills it for every row the new version writes
 * (as pgroll: inserts and updates), so the old version keeps seeing values
 * derived from the new version's columns.
 */
import { STAGE, ddl, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { createTrigger, withShape } from '../triggers.ts';
import { actionId, dropSyncTrigger, syncTrigger, requireColumn, requireTable, requireUnchanged, tableRef } from './common.ts';
import type { ExpressionCheck, Operation } from './types.ts';

export const dropColumn: Operation<'drop_column'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.column);
    requireUnchanged(ctx, table, column);
    if (table.primaryKey.includes(column.physical)) {
      throw new InvalidOperationError(ctx.kind, `"${spec.column}" is part of the primary key of "${spec.table}"`, 'drop the key first');
    }
    if (!column.nullable && column.default === null && spec.down === undefined) {
      throw new InvalidOperationError(
        ctx.kind,
        `"${spec.column}" is NOT NULL without a default, so inserts from the new version would fail`,
        'add "down: <sql expression>" to fill it for the old version',
      );
    }
  },

  apply(spec, ctx) {
    return withTable(ctx.model, spec.table, (t) => ({ ...t, columns: t.columns.filter((c) => c.name !== spec.column) }));
  },

  start(spec, ctx) {
    if (spec.down === undefined) return [];
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.column);
    const newShape = table.columns.filter((c) => c.name !== spec.column);
    const fill = withShape(newShape, `NEW.${ident(column.physical)} := (${spec.down});`);
    return createTrigger(syncTrigger(ctx, table, { fromOld: '', fromNew: fill }));
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.column);
    return [...dropSync(spec, ctx), ddl(actionId(ctx, 'drop'), `ALTER TABLE ${tableRef(ctx, table)} DROP COLUMN IF EXISTS ${ident(column.physical)}`, STAGE.drop)];
  },

  rollback(spec, ctx) {
    return dropSync(spec, ctx);
  },

  expressions(spec, ctx): ExpressionCheck[] {
    if (spec.down === undefined) return [];
    const table = requireTable(ctx, spec.table);
    const shape = table.columns.filter((c) => c.name !== spec.column).map((c) => ({ name: c.name, type: c.type }));
    return [{ field: 'down', sql: spec.down, table: table.name, columns: shape, shape: 'new', purpose: `"${spec.column}" for rows written by the new version` }];
  },
};

function dropSync(spec: { table: string; down?: string | undefined }, ctx: Parameters<typeof requireTable>[0]): Action[] {
  if (spec.down === undefined) return [];
  return dropSyncTrigger(ctx, requireTable(ctx, spec.table));
}
