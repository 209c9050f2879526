/**
 * alter_column moves a column to a shadow column; the indexes (and unique
 * constraints) on the old column must come along, or complete would drop them
 * with it. Each is rebuilt CONCURRENTLY on the shadow under a temporary name
 * and takes the original name at complete, once the old one is gone.
 */
import { STAGE, concurrent, ddl, type Action } from '../actions.ts';
import type { IndexModel, TableModel } from '../model.ts';
import { ident, qualified, shortName } from '../sql.ts';
import { actionId, dropIndexSql, renameInExpression, tableRef } from './common.ts';
import type { OpContext } from './types.ts';

export function carriedIndexes(table: TableModel, column: string): IndexModel[] {
  return (table.indexes ?? []).filter((i) => i.columns.includes(column));
}

export function buildCarriedIndexes(ctx: OpContext, table: TableModel, column: string, shadow: string): Action[] {
  return carriedIndexes(table, column).map((i) => {
    // "CREATE [UNIQUE] INDEX name ON tbl USING method (cols) [WHERE ...]": keep the tail, swap the column.
    const at = i.definition.indexOf(' USING ');
    const tail = renameInExpression(i.definition.slice(at), column, shadow);
    const sql = `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${ident(temporaryName(ctx, i))} ON ${tableRef(ctx, table)}${tail}`;
    return concurrent(actionId(ctx, `carry-index.${i.name}`), sql, dropIndexSql(ctx, temporaryName(ctx, i)));
  });
}

/** At complete, after the old column (and so its indexes) is dropped. */
export function renameCarriedIndexes(ctx: OpContext, table: TableModel, column: string): Action[] {
  return carriedIndexes(table, column).map((i) => {
    const tmp = ident(temporaryName(ctx, i));
    if (i.constraint) {
      const sql = `ALTER TABLE ${tableRef(ctx, table)} ADD CONSTRAINT ${ident(i.constraint)} UNIQUE USING INDEX ${tmp}`;
      return ddl(actionId(ctx, `carry-index.${i.name}.constraint`), sql, STAGE.constrain);
    }
    const sql = `ALTER INDEX ${qualified(ctx.model.schema, temporaryName(ctx, i))} RENAME TO ${ident(i.name)}`;
    return ddl(actionId(ctx, `carry-index.${i.name}.rename`), sql, STAGE.rename);
  });
}

function temporaryName(ctx: OpContext, i: IndexModel): string {
  return shortName('_cutover', String(ctx.index), i.name);
}
