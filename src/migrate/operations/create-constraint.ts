/**
 * create_constraint (unique, check, foreign_key, primary_key), as pgroll:
 * the constraint goes on shadow copies of its columns (NOT VALID, or a unique
 * index built CONCURRENTLY), old-version writes and the backfill pass through
 * `up` (which can repair rows that break it), new-version writes through
 * `down`; complete validates it and swaps the columns in.
 *
 * When every `up`/`down` is the column itself (or absent), a shadow would copy
 * values unchanged, so the constraint goes on the live columns instead: same
 * behaviour for writes from both versions, without rewriting the table. On a
 * table created by this migration it is simply added.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import type { OpSpec } from '../file-schema.ts';
import { withTable, type TableModel } from '../model.ts';
import { ident, renameIdentifiers, shortName } from '../sql.ts';
import { actionId, dropIndexSql, indexParameters, fkActions, foreignColumns, requireColumn, requireNoConstraint, requireReferenced, requireTable, tableRef } from './common.ts';
import { isIdentity, newShape, shadowComplete, shadowExpressions, shadowOf, shadowRollback, shadowStart, validateShadow, type Shadow } from './shadow.ts';
import type { ExpressionCheck, OpContext, Operation } from './types.ts';

type Spec = OpSpec<'create_constraint'>;
type Mode = 'created' | 'shadow' | 'live';

export const createConstraint: Operation<'create_constraint'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    for (const c of spec.columns) requireColumn(ctx, table, c);
    const indexBacked = spec.type === 'unique' || spec.type === 'primary_key';
    requireNoConstraint(ctx, table, spec.name, indexBacked);
    for (const [field, map] of [['up', spec.up], ['down', spec.down]] as const) {
      for (const col of Object.keys(map ?? {})) {
        if (!spec.columns.includes(col)) {
          throw new InvalidOperationError(ctx.kind, `${field} names "${col}", which is not one of the constraint's columns (${spec.columns.join(', ')})`, `give ${field} one entry per column in "columns"`);
        }
      }
    }
    if (spec.type === 'check' && !spec.check) throw new InvalidOperationError(ctx.kind, 'a check constraint needs "check"', 'add check: "<sql expression>"');
    if (spec.type === 'foreign_key') {
      const r = spec.references;
      if (!r) throw new InvalidOperationError(ctx.kind, 'a foreign key needs "references"', 'add references: { table, columns }');
      requireReferenced(ctx, r.table, r.columns);
      if (r.columns.length !== spec.columns.length) {
        throw new InvalidOperationError(ctx.kind, 'columns and references.columns differ in length', 'list one referenced column per column');
      }
    }
    if (spec.type === 'primary_key' && table.primaryKey.length > 0) {
      throw new InvalidOperationError(ctx.kind, `table "${spec.table}" already has a primary key`, 'a table has one primary key; drop the old one first');
    }
    if (spec.nulls_not_distinct && spec.type !== 'unique') {
      throw new InvalidOperationError(ctx.kind, 'nulls_not_distinct applies to unique constraints only', 'remove it or use type: unique');
    }
    if (mode(spec, ctx) === 'shadow') validateShadow(ctx, shadow(spec, ctx));
  },

  apply(spec, ctx) {
    const m = mode(spec, ctx);
    const s = m === 'shadow' ? shadow(spec, ctx) : null;
    const next = withTable(ctx.model, spec.table, (t) => ({
      ...t,
      columns: s ? newShape(s) : t.columns,
      constraints: [...t.constraints, spec.name],
      primaryKey: spec.type === 'primary_key' && m === 'created' ? spec.columns.map((c) => requireColumn(ctx, t, c).physical) : t.primaryKey,
    }));
    if (spec.type === 'unique' || spec.type === 'primary_key') next.relations.push(spec.name);
    return next;
  },

  start(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const m = mode(spec, ctx);
    if (m === 'created') return [ddl(actionId(ctx, 'add'), `ALTER TABLE ${ref} ADD ${definition(spec, ctx, table, physicalByName(table.columns))}`)];
    if (m === 'shadow') {
      const s = shadow(spec, ctx);
      const names = physicalByName(newShape(s));
      const extra: Action[] = [];
      const indexes: Action[] = [];
      if (spec.type === 'check' || spec.type === 'foreign_key') {
        extra.push(ddl(actionId(ctx, 'add'), `ALTER TABLE ${ref} ADD ${definition(spec, ctx, table, names)} NOT VALID`));
      } else {
        indexes.push(uniqueIndex(spec, ctx, table, names));
      }
      return shadowStart(ctx, s, { ddl: extra, concurrent: indexes });
    }
    const names = physicalByName(table.columns);
    if (spec.type === 'check' || spec.type === 'foreign_key') return [ddl(actionId(ctx, 'add'), `ALTER TABLE ${ref} ADD ${definition(spec, ctx, table, names)} NOT VALID`)];
    const out: Action[] = [];
    if (spec.type === 'primary_key') {
      for (const c of nullableColumns(spec, ctx, table)) {
        out.push(ddl(actionId(ctx, `not-null.${c}`), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(notNullName(ctx, spec, c))} CHECK (${ident(names.get(c)!)} IS NOT NULL) NOT VALID`));
      }
    }
    out.push(uniqueIndex(spec, ctx, table, names));
    return out;
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const name = ident(spec.name);
    const m = mode(spec, ctx);
    if (m === 'created') return [];
    const out: Action[] = [];
    if (spec.type === 'check' || spec.type === 'foreign_key') out.push(validate(actionId(ctx, 'validate'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${name}`));
    if (m === 'shadow') out.push(...shadowComplete(ctx, shadow(spec, ctx)));
    if (m === 'live' && spec.type === 'primary_key') {
      for (const c of nullableColumns(spec, ctx, table)) {
        const nn = ident(notNullName(ctx, spec, c));
        const col = ident(requireColumn(ctx, table, c).physical);
        out.push(validate(actionId(ctx, `validate-not-null.${c}`), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${nn}`));
        out.push(ddl(actionId(ctx, `set-not-null.${c}`), `ALTER TABLE ${ref} ALTER COLUMN ${col} SET NOT NULL`, STAGE.constrain));
        out.push(ddl(actionId(ctx, `drop-not-null-check.${c}`), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${nn}`, STAGE.constrain));
      }
    }
    if (spec.type === 'unique' || spec.type === 'primary_key') {
      const kind = spec.type === 'unique' ? 'UNIQUE' : 'PRIMARY KEY';
      out.push(ddl(actionId(ctx, 'attach'), `ALTER TABLE ${ref} ADD CONSTRAINT ${name} ${kind} USING INDEX ${name}${deferrable(spec)}`, STAGE.constrain));
    }
    return out;
  },

  rollback(spec, ctx): Action[] {
    const m = mode(spec, ctx);
    if (m === 'created') return [];
    const indexBacked = spec.type === 'unique' || spec.type === 'primary_key';
    if (m === 'shadow') return shadowRollback(ctx, shadow(spec, ctx), indexBacked ? [spec.name] : []);
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const out: Action[] = [];
    if (indexBacked) out.push(concurrent(actionId(ctx, 'drop-index'), dropIndexSql(ctx, spec.name)));
    else out.push(ddl(actionId(ctx, 'drop'), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(spec.name)}`, STAGE.drop));
    if (spec.type === 'primary_key') {
      for (const c of nullableColumns(spec, ctx, table)) out.push(ddl(actionId(ctx, `drop-not-null.${c}`), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(notNullName(ctx, spec, c))}`, STAGE.drop));
    }
    return out;
  },

  expressions(spec, ctx): ExpressionCheck[] {
    const table = requireTable(ctx, spec.table);
    const m = mode(spec, ctx);
    const s = m === 'shadow' ? shadow(spec, ctx) : null;
    const out = s ? shadowExpressions(s, (dir, col) => (spec[dir]?.[col] === undefined ? `${dir}.${col} (not given: the column itself)` : `${dir}.${col}`)) : [];
    if (spec.check) {
      const cols = (s ? newShape(s) : table.columns).map((c) => ({ name: c.name, type: c.type }));
      out.push({ field: 'check', sql: spec.check, table: table.name, columns: cols, shape: 'new', purpose: `check constraint "${spec.name}"` });
    }
    return out;
  },
};

function mode(spec: Spec, ctx: OpContext): Mode {
  const table = requireTable(ctx, spec.table);
  if (table.created) return 'created';
  const trivial = spec.columns.every((c) => isIdentity(spec.up?.[c], c) && isIdentity(spec.down?.[c], c));
  return trivial ? 'live' : 'shadow';
}

function shadow(spec: Spec, ctx: OpContext): Shadow {
  const table = requireTable(ctx, spec.table);
  const columns = spec.columns.map((c) => {
    const old = requireColumn(ctx, table, c);
    return shadowOf(old, spec.type === 'primary_key' ? { nullable: false } : {}, spec.up?.[c], spec.down?.[c]);
  });
  return { table, columns, without: [] };
}

/** The constraint clause, over the physical columns `names` maps the visible names to. */
function definition(spec: Spec, ctx: OpContext, table: TableModel, names: Map<string, string>): string {
  const cols = spec.columns.map((c) => ident(names.get(c) ?? c)).join(', ');
  const head = `CONSTRAINT ${ident(spec.name)}`;
  switch (spec.type) {
    case 'check':
      return `${head} CHECK (${renameIdentifiers(spec.check!, names)})${spec.no_inherit ? ' NO INHERIT' : ''}`;
    case 'foreign_key': {
      const r = spec.references!;
      const target = r.table === table.name ? { table: tableRef(ctx, table), columns: r.columns.map((c) => ident(names.get(c) ?? c)) } : foreignColumns(ctx, r.table, r.columns);
      return `${head} FOREIGN KEY (${cols}) REFERENCES ${target.table} (${target.columns.join(', ')})${fkActions({ ...r, deferrable: spec.deferrable, initially_deferred: spec.initially_deferred })}`;
    }
    case 'unique':
      return `${head} UNIQUE${spec.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''} (${cols})${indexParameters(spec.index_parameters)}${deferrable(spec)}`;
    case 'primary_key':
      return `${head} PRIMARY KEY (${cols})${indexParameters(spec.index_parameters)}${deferrable(spec)}`;
  }
}

function uniqueIndex(spec: Spec, ctx: OpContext, table: TableModel, names: Map<string, string>): Action {
  const cols = spec.columns.map((c) => ident(names.get(c) ?? c)).join(', ');
  const p = spec.index_parameters;
  const include = p?.include_columns?.length ? ` INCLUDE (${p.include_columns.map((c) => ident(names.get(c) ?? c)).join(', ')})` : '';
  const nulls = spec.nulls_not_distinct ? ' NULLS NOT DISTINCT' : '';
  const params = p?.storage_parameters ? ` WITH (${p.storage_parameters})` : '';
  const space = p?.tablespace ? ` TABLESPACE ${ident(p.tablespace)}` : '';
  const sql = `CREATE UNIQUE INDEX CONCURRENTLY ${ident(spec.name)} ON ${tableRef(ctx, table)} (${cols})${include}${nulls}${params}${space}`;
  return concurrent(actionId(ctx, 'index'), sql, dropIndexSql(ctx, spec.name));
}

function deferrable(spec: Spec): string {
  if (spec.initially_deferred) return ' DEFERRABLE INITIALLY DEFERRED';
  return spec.deferrable ? ' DEFERRABLE' : '';
}

function nullableColumns(spec: Spec, ctx: OpContext, table: TableModel): string[] {
  return spec.columns.filter((c) => requireColumn(ctx, table, c).nullable);
}

function notNullName(ctx: OpContext, spec: Spec, column: string): string {
  return shortName(spec.table, column, 'not_null', String(ctx.index));
}

function physicalByName(columns: { name: string; physical: string }[]): Map<string, string> {
  return new Map(columns.map((c) => [c.name, c.physical]));
}
