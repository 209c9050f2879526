/** drop_constraint: the old version may rely on it, so it is dropped at complete. */
import { STAGE, ddl } from '../actions.ts';
import { ConstraintDoesNotExistError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const dropConstraint: Operation<'drop_constraint'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    if (!table.constraints.includes(spec.name)) throw new ConstraintDoesNotExistError(ctx.kind, spec.table, spec.name);
  },

  apply(spec, ctx) {
    return withTable(ctx.model, spec.table, (t) => ({ ...t, constraints: t.constraints.filter((c) => c !== spec.name) }));
  },

  start() {
    return [];
  },

  complete(spec, ctx) {
    const ref = tableRef(ctx, requireTable(ctx, spec.table));
    return [ddl(actionId(ctx, 'drop'), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(spec.name)}`, STAGE.drop)];
  },

  rollback() {
    return [];
  },
};
