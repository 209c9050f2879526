/**
 * create_index: CREATE INDEX CONCURRENTLY at start (writes go on while it
 * builds); rollback drops it. Columns may carry collation, sort order, NULLS
 * order and an operator class; storage parameters go in WITH (...).
 */
import { concurrent } from '../actions.ts';
import { IndexAlreadyExistsError, InvalidOperationError } from '../errors.ts';
import type { IndexColumn } from '../file-schema.ts';
import { cloneModel } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, dropIndexSql, requireColumn, requireTable, tableRef } from './common.ts';
import type { OpContext, Operation } from './types.ts';
import type { TableModel } from '../model.ts';

export const createIndex: Operation<'create_index'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    for (const c of spec.columns) requireColumn(ctx, table, c.column);
    if (ctx.model.relations.includes(spec.name)) throw new IndexAlreadyExistsError(ctx.kind, spec.name);
    if (spec.nulls_not_distinct && !spec.unique) {
      throw new InvalidOperationError(ctx.kind, `index "${spec.name}": nulls_not_distinct needs unique: true`, 'make the index unique or drop nulls_not_distinct');
    }
  },

  apply(spec, ctx) {
    const next = cloneModel(ctx.model);
    next.relations.push(spec.name);
    next.indexes.push(spec.name);
    return next;
  },

  start(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const cols = spec.columns.map((c) => indexElement(ctx, table, c)).join(', ');
    const using = spec.method ? ` USING ${spec.method}` : '';
    const nulls = spec.unique && spec.nulls_not_distinct ? ' NULLS NOT DISTINCT' : '';
    const withParams = spec.storage_parameters?.trim() ? ` WITH (${spec.storage_parameters})` : '';
    const where = spec.predicate?.trim() ? ` WHERE ${spec.predicate}` : '';
    const unique = spec.unique ? 'UNIQUE ' : '';
    const sql = `CREATE ${unique}INDEX CONCURRENTLY ${ident(spec.name)} ON ${tableRef(ctx, table)}${using} (${cols})${nulls}${withParams}${where}`;
    return [concurrent(actionId(ctx, 'create'), sql, dropIndexSql(ctx, spec.name))];
  },

  complete() {
    return [];
  },

  rollback(spec, ctx) {
    return [concurrent(actionId(ctx, 'drop'), dropIndexSql(ctx, spec.name))];
  },
};

function indexElement(ctx: OpContext, table: TableModel, c: IndexColumn): string {
  let sql = ident(requireColumn(ctx, table, c.column).physical);
  if (c.collate) sql += ` COLLATE ${c.collate.startsWith('"') || c.collate.includes('.') ? c.collate : ident(c.collate)}`;
  if (c.opclass?.name) {
    sql += ` ${c.opclass.name}`;
    if (c.opclass.params?.length) sql += ` (${c.opclass.params.join(', ')})`;
  }
  if (c.sort) sql += ` ${c.sort}`;
  if (c.nulls) sql += ` NULLS ${c.nulls}`;
  return sql;
}
