/** Lookups and SQL fragments shared by operations. */
import type { ColumnSpec, ReferencesSpec } from '../file-schema.ts';
import { ColumnAlreadyExistsError, ColumnDoesNotExistError, ConstraintAlreadyExistsError, InvalidOperationError, TableDoesNotExistError } from '../errors.ts';
import { findColumn, findTable, type ColumnModel, type TableModel } from '../model.ts';
import type { Action } from '../actions.ts';
import { ident, literal, qualified } from '../sql.ts';
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

/** Constraint names are unique per table; index-backed ones also take a relation name. */
export function requireNoConstraint(ctx: OpContext, table: TableModel, name: string, indexBacked = false): void {
  if (table.constraints.includes(name) || (indexBacked && ctx.model.relations.includes(name))) {
    throw new ConstraintAlreadyExistsError(ctx.kind, table.name, name);
  }
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
export function columnDefinition(ctx: OpContext, c: ColumnSpec, tableName: string): string {
  const parts = [ident(c.name), c.type];
  if (c.generated?.expression) parts.push(`GENERATED ALWAYS AS (${c.generated.expression}) STORED`);
  if (c.generated?.identity) {
    const how = c.generated.identity.user_specified_values ?? 'ALWAYS';
    const opts = c.generated.identity.sequence_options?.trim();
    parts.push(`GENERATED ${how} AS IDENTITY${opts ? ` (${opts})` : ''}`);
  }
  if (!c.nullable && !c.pk) parts.push('NOT NULL');
  if (c.default !== undefined && c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.unique) parts.push('UNIQUE');
  if (c.check) parts.push(`CONSTRAINT ${ident(c.check.name)} CHECK (${c.check.constraint})${c.check.no_inherit ? ' NO INHERIT' : ''}`);
  if (c.references) parts.push(`CONSTRAINT ${ident(c.references.name)} ${referencesClause(ctx, c.references, tableName)}`);
  return parts.join(' ');
}

/** `REFERENCES t (c) ON DELETE ... ON UPDATE ... MATCH ... DEFERRABLE ...`; `self` names a table being created. */
export function referencesClause(ctx: OpContext, r: ReferencesSpec | { table: string; column: string; on_delete?: string | undefined }, self?: string): string {
  const cols = foreignColumns(ctx, r.table, [r.column], self);
  return `REFERENCES ${cols.table} (${cols.columns.join(', ')})${fkActions(r as ForeignKeyOptions)}`;
}

export interface ForeignKeyOptions {
  on_delete?: string | undefined;
  on_update?: string | undefined;
  match_type?: string | undefined;
  on_delete_set_columns?: string[] | undefined;
  deferrable?: boolean | undefined;
  initially_deferred?: boolean | undefined;
}

export function fkActions(o: ForeignKeyOptions): string {
  let sql = '';
  if (o.match_type && o.match_type !== 'SIMPLE') sql += ` MATCH ${o.match_type}`;
  if (o.on_delete) {
    sql += ` ON DELETE ${o.on_delete}`;
    if (o.on_delete_set_columns?.length && /^SET /.test(o.on_delete)) sql += ` (${o.on_delete_set_columns.map(ident).join(', ')})`;
  }
  if (o.on_update) sql += ` ON UPDATE ${o.on_update}`;
  sql += deferrable(o);
  return sql;
}

/** A unique or primary key constraint's index clauses: INCLUDE columns, storage parameters, tablespace. */
export function indexParameters(p: { include_columns?: string[] | undefined; storage_parameters?: string | undefined; tablespace?: string | undefined } | undefined): string {
  if (!p) return '';
  let sql = '';
  if (p.include_columns?.length) sql += ` INCLUDE (${p.include_columns.map(ident).join(', ')})`;
  if (p.storage_parameters) sql += ` WITH (${p.storage_parameters})`;
  if (p.tablespace) sql += ` USING INDEX TABLESPACE ${ident(p.tablespace)}`;
  return sql;
}

export function deferrable(o: { deferrable?: boolean | undefined; initially_deferred?: boolean | undefined }): string {
  if (o.initially_deferred) return ' DEFERRABLE INITIALLY DEFERRED';
  return o.deferrable ? ' DEFERRABLE' : '';
}

/** The referenced table and physical columns; `self` is a table created by this same operation. */
export function foreignColumns(ctx: OpContext, table: string, columns: string[], self?: string): { table: string; columns: string[] } {
  if (self !== undefined && table === self) return { table: qualified(ctx.model.schema, self), columns: columns.map(ident) };
  const target = requireTable(ctx, table);
  return { table: tableRef(ctx, target), columns: columns.map((c) => ident(requireColumn(ctx, target, c).physical)) };
}

/** Validates a referenced table and its columns exist (or are being created as `self`). */
export function requireReferenced(ctx: OpContext, table: string, columns: string[], self?: { name: string; columns: string[] }): void {
  if (self && table === self.name) {
    for (const c of columns) if (!self.columns.includes(c)) throw new ColumnDoesNotExistError(ctx.kind, table, c);
    return;
  }
  const target = requireTable(ctx, table);
  for (const c of columns) requireColumn(ctx, target, c);
}

export function commentSql(ref: string, comment: string | null): string {
  return `COMMENT ON ${ref} IS ${comment === null ? 'NULL' : literal(comment)}`;
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
