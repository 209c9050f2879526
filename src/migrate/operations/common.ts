/** Lookups and SQL fragments shared by operations. */
import type { ColumnSpec } from '../file-schema.ts';
import { ColumnAlreadyExistsError, ColumnDoesNotExistError, InvalidOperationError, TableDoesNotExistError } from '../errors.ts';
import { findColumn, findTable, type ColumnModel, type TableModel } from '../model.ts';
import type { Action } from '../actions.ts';
import { ident, qualified } from '../sql.ts';
import { dropTrigger, triggerName, type SyncTrigger } from '../triggers.ts';
import type { OpContext } from './types.ts';

export function requireTable(ctx: OpContext, name: string): TableModel {
  const t = findTable(ctx.model, name);
  if (!t) throw new TableDoesNotExistError(ctx.kind, name);
  return t;
}

export function requireColumn(ctx: OpContext, table: TableModel, name: string): ColumnModel {
  const c = findColumn(table, name);
  if (!c) throw new ColumnDoesNotExistError(ctx.kind, table.name, name);
  return c;
}

export function requireNoColumn(ctx: OpContext, table: TableModel, name: string): void {
  if (findColumn(table, name)) throw new ColumnAlreadyExistsError(ctx.kind, table.name, name);
}

/** Two structural changes to one column in one migration cannot be contracted in a safe order. */
export function requireUnchanged(ctx: OpContext, table: TableModel, column: ColumnModel): void {
  if (column.changed) {
    throw new InvalidOperationError(
      ctx.kind,
      `column "${column.name}" of "${table.name}" was already changed earlier in this migration`,
      'put the second change in the next migration',
    );
  }
}

export function tableRef(ctx: OpContext, table: TableModel): string {
  return qualified(ctx.model.schema, table.physical);
}

export function actionId(ctx: OpContext, step: string): string {
  return `${ctx.index}.${ctx.kind}.${step}`;
}

/** Column definition for CREATE TABLE (the table is new and empty, so constraints go inline). */
export function columnDefinition(ctx: OpContext, c: ColumnSpec): string {
  const parts = [ident(c.name), c.type];
  if (!c.nullable && !c.pk) parts.push('NOT NULL');
  if (c.default !== undefined) parts.push(`DEFAULT ${c.default}`);
  if (c.unique) parts.push('UNIQUE');
  if (c.check) parts.push(`CONSTRAINT ${ident(c.check.name)} CHECK (${c.check.constraint})`);
  if (c.references) parts.push(`CONSTRAINT ${ident(c.references.name)} ${referencesClause(ctx, c.references)}`);
  return parts.join(' ');
}

export function referencesClause(
  ctx: OpContext,
  r: { table: string; column: string; on_delete?: string | undefined },
): string {
  const target = requireTable(ctx, r.table);
  const col = requireColumn(ctx, target, r.column);
  const onDelete = r.on_delete ? ` ON DELETE ${r.on_delete}` : '';
  return `REFERENCES ${tableRef(ctx, target)} (${ident(col.physical)})${onDelete}`;
}

/** Rewrites a column name inside a constraint expression to the shadow column's name. */
export function renameInExpression(expr: string, from: string, to: string): string {
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return expr.replace(new RegExp(`(^|[^A-Za-z0-9_$".])"?${escaped}"?(?=$|[^A-Za-z0-9_$"])`, 'g'), `$1${ident(to)}`);
}

export function shadowName(column: string): string {
  return `_cutover_new_${column}`.slice(0, 63);
}

/** The sync trigger of one operation on one table; the caller gives the two conversion bodies. */
export function syncTrigger(ctx: OpContext, table: TableModel, bodies: { fromOld: string; fromNew: string }): SyncTrigger {
  return {
    id: actionId(ctx, 'sync'),
    name: triggerName(ctx.migration, ctx.index, table.physical),
    schema: ctx.model.schema,
    table: table.physical,
    migration: ctx.migration,
    versionSchema: ctx.versionSchema,
    ...bodies,
  };
}

/** Drops the sync trigger this operation created on `table`; its name is derived, so nothing is rebuilt. */
export function dropSyncTrigger(ctx: OpContext, table: TableModel): Action[] {
  return dropTrigger(actionId(ctx, 'sync'), triggerName(ctx.migration, ctx.index, table.physical), ctx.model.schema, table.physical);
}

/** Drops an index of the migration's schema (CONCURRENTLY: outside any transaction). */
export function dropIndexSql(ctx: OpContext, name: string): string {
  return `DROP INDEX CONCURRENTLY IF EXISTS ${qualified(ctx.model.schema, name)}`;
}
