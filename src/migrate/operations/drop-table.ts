/** drop_table: gone from the new version at once, physically dropped at complete. */
import { STAGE, ddl } from '../actions.ts';
import { cloneModel } from '../model.ts';
import { actionId, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const dropTable: Operation<'drop_table'> = {
  validate(spec, ctx) {
    requireTable(ctx, spec.name);
  },

  apply(spec, ctx) {
    const next = cloneModel(ctx.model);
    next.tables = next.tables.filter((t) => t.name !== spec.name);
    return next;
  },

  start() {
    return [];
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.name);
    return [ddl(actionId(ctx, 'drop'), `DROP TABLE IF EXISTS ${tableRef(ctx, table)}`, STAGE.drop)];
  },

  rollback() {
    return [];
  },
};
