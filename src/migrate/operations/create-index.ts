/** create_index: built CONCURRENTLY so writes continue; a failed build is dropped before a retry. */
import { concurrent } from '../actions.ts';
import { IndexAlreadyExistsError } from '../errors.ts';
import { cloneModel } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, dropIndexSql, requireColumn, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const createIndex: Operation<'create_index'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    for (const c of spec.columns) requireColumn(ctx, table, c);
    if (ctx.model.relations.includes(spec.name)) throw new IndexAlreadyExistsError(ctx.kind, spec.name);
  },

  apply(spec, ctx) {
    const next = cloneModel(ctx.model);
    next.relations.push(spec.name);
    next.indexes.push(spec.name);
    return next;
  },

  start(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const cols = spec.columns.map((c) => ident(requireColumn(ctx, table, c).physical)).join(', ');
    const using = spec.method ? ` USING ${spec.method}` : '';
    const where = spec.predicate ? ` WHERE ${spec.predicate}` : '';
    const unique = spec.unique ? 'UNIQUE ' : '';
    const sql = `CREATE ${unique}INDEX CONCURRENTLY ${ident(spec.name)} ON ${tableRef(ctx, table)}${using} (${cols})${where}`;
    return [concurrent(actionId(ctx, 'create'), sql, dropIndexSql(ctx, spec.name))];
  },

  complete() {
    return [];
  },

  rollback(spec, ctx) {
    return [concurrent(actionId(ctx, 'drop'), dropIndexSql(ctx, spec.name))];
  },
};

