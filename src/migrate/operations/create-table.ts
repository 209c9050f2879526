/** create_table: a new table; the old version never sees it, rollback drops it. */
import { STAGE, ddl } from '../actions.ts';
import { InvalidOperationError, TableAlreadyExistsError } from '../errors.ts';
import { cloneModel, findTable } from '../model.ts';
import { ident, qualified } from '../sql.ts';
import { actionId, columnDefinition, referencesClause } from './common.ts';
import type { Operation } from './types.ts';

export const createTable: Operation<'create_table'> = {
  validate(spec, ctx) {
    if (findTable(ctx.model, spec.name) || ctx.model.relations.includes(spec.name)) {
      throw new TableAlreadyExistsError(ctx.kind, spec.name);
    }
    const names = new Set<string>();
    for (const c of spec.columns) {
      if (names.has(c.name)) throw new InvalidOperationError(ctx.kind, `column "${c.name}" is listed twice`, 'give each column a unique name');
      names.add(c.name);
      if (c.references) referencesClause(ctx, c.references);
    }
  },

  apply(spec, ctx) {
    const next = cloneModel(ctx.model);
    next.tables.push({
      name: spec.name,
      physical: spec.name,
      columns: spec.columns.map((c) => ({
        name: c.name,
        physical: c.name,
        type: c.type,
        nullable: c.nullable && !c.pk,
        default: c.default ?? null,
        changed: true,
      })),
      primaryKey: spec.columns.filter((c) => c.pk).map((c) => c.name),
      constraints: [],
      renamed: true,
    });
    next.relations.push(spec.name);
    return next;
  },

  start(spec, ctx) {
    const cols = spec.columns.map((c) => columnDefinition(ctx, c));
    const pk = spec.columns.filter((c) => c.pk).map((c) => ident(c.name));
    if (pk.length) cols.push(`PRIMARY KEY (${pk.join(', ')})`);
    return [ddl(actionId(ctx, 'create'), `CREATE TABLE ${qualified(ctx.model.schema, spec.name)} (\n  ${cols.join(',\n  ')}\n)`)];
  },

  complete() {
    return [];
  },

  rollback(spec, ctx) {
    return [ddl(actionId(ctx, 'drop'), `DROP TABLE IF EXISTS ${qualified(ctx.model.schema, spec.name)}`, STAGE.drop)];
  },
};
