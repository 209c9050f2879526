/**
 * rename_column: nothing physical until complete. The new version's view shows
 * the column under its new name; complete renames it in place (views follow
 * columns by number, so the new version's view keeps working).
 */
import { STAGE, ddl } from '../actions.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, requireColumn, requireNoColumn, requireTable, requireUnchanged, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const renameColumn: Operation<'rename_column'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.from);
    requireUnchanged(ctx, table, column);
    requireNoColumn(ctx, table, spec.to);
  },

  apply(spec, ctx) {
    return withTable(ctx.model, spec.table, (t) => ({
      ...t,
      columns: t.columns.map((c) => (c.name === spec.from ? { ...c, name: spec.to, changed: true } : c)),
    }));
  },

  start() {
    return [];
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.from);
    const sql = `ALTER TABLE ${tableRef(ctx, table)} RENAME COLUMN ${ident(column.physical)} TO ${ident(spec.to)}`;
    return [ddl(actionId(ctx, 'rename'), sql, STAGE.rename)];
  },

  rollback() {
    return [];
  },
};
