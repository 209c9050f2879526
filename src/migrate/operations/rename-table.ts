/**
 * rename_table: the new version's view has the new name over the old table;
 * complete renames the table (the view follows it by oid and keeps working).
 */
import { STAGE, ddl } from '../actions.ts';
import { InvalidOperationError, TableAlreadyExistsError } from '../errors.ts';
import { findTable, withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const renameTable: Operation<'rename_table'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.from);
    if (table.renamed) {
      throw new InvalidOperationError(ctx.kind, `table "${spec.from}" was already created or renamed in this migration`, 'rename it in the next migration');
    }
    if (findTable(ctx.model, spec.to) || ctx.model.relations.includes(spec.to)) throw new TableAlreadyExistsError(ctx.kind, spec.to);
  },

  apply(spec, ctx) {
    const next = withTable(ctx.model, spec.from, (t) => ({ ...t, name: spec.to, renamed: true }));
    next.relations.push(spec.to);
    return next;
  },

  start() {
    return [];
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.from);
    return [ddl(actionId(ctx, 'rename'), `ALTER TABLE ${tableRef(ctx, table)} RENAME TO ${ident(spec.to)}`, STAGE.renameTable)];
  },

  rollback() {
    return [];
  },
};
