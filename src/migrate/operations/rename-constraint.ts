/** rename_constraint: nothing changes for either version until complete renames it (an index-backed one renames its index too). */
import { STAGE, ddl } from '../actions.ts';
import { ConstraintDoesNotExistError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, requireNoConstraint, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const renameConstraint: Operation<'rename_constraint'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    if (!table.constraints.includes(spec.from)) throw new ConstraintDoesNotExistError(ctx.kind, spec.table, spec.from);
    const def = (table.constraintDefs ?? []).find((c) => c.name === spec.from);
    requireNoConstraint(ctx, table, spec.to, def ? ['u', 'p', 'x'].includes(def.type) : false);
  },

  apply(spec, ctx) {
    const next = withTable(ctx.model, spec.table, (t) => ({
      ...t,
      constraints: t.constraints.map((c) => (c === spec.from ? spec.to : c)),
    }));
    next.relations.push(spec.to);
    return next;
  },

  start() {
    return [];
  },

  complete(spec, ctx) {
    const ref = tableRef(ctx, requireTable(ctx, spec.table));
    return [ddl(actionId(ctx, 'rename'), `ALTER TABLE ${ref} RENAME CONSTRAINT ${ident(spec.from)} TO ${ident(spec.to)}`, STAGE.rename)];
  },

  rollback() {
    return [];
  },
};
