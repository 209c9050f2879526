/**
 * drop_constraint and drop_multicolumn_constraint, as pgroll: the
 * constraint's columns get shadow copies without it, so the new version can
 * write values the constraint forbids while `down` turns them into values the
 * old version (which keeps the constraint) accepts; complete swaps the
 * columns in, which drops the constraint with the old columns.
 *
 * Without `up`/`down` (or when both are the column itself) there is nothing to
 * convert: the constraint stays for both versions and complete drops it.
 */
import { STAGE, ddl, type Action } from '../actions.ts';
import { ConstraintDoesNotExistError, InvalidOperationError } from '../errors.ts';
import type { OpSpec } from '../file-schema.ts';
import type { ConstraintModel, TableModel } from '../model.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, requireTable, tableRef } from './common.ts';
import { isIdentity, newShape, shadowComplete, shadowExpressions, shadowOf, shadowRollback, shadowStart, validateShadow, type Shadow } from './shadow.ts';
import type { ExpressionCheck, OpContext, Operation } from './types.ts';

/** The two operations differ only in how `up`/`down` are given: one expression, or one per column. */
interface DropSpec {
  table: string;
  name: string;
  up: (column: string) => string | undefined;
  down: (column: string) => string | undefined;
  /** The file's own names for the fields, for messages. */
  label: (dir: 'up' | 'down', column: string) => string;
  given: string[];
}

function dropOperation<K extends 'drop_constraint' | 'drop_multicolumn_constraint'>(toDrop: (spec: never) => DropSpec, check: (spec: never, ctx: OpContext, c: ConstraintModel | undefined) => void): Operation<K> {
  const d = (spec: unknown) => toDrop(spec as never);
  return {
    validate(spec, ctx) {
      const s = d(spec);
      const table = requireTable(ctx, s.table);
      if (!table.constraints.includes(s.name)) throw new ConstraintDoesNotExistError(ctx.kind, s.table, s.name);
      const def = constraintOf(table, s.name);
      check(spec as never, ctx, def);
      if (!needsShadow(s, def)) return;
      if (!def) throw new InvalidOperationError(ctx.kind, `constraint "${s.name}" was created earlier in this migration`, 'drop it in the next migration');
      if (def.type === 'p') throw new InvalidOperationError(ctx.kind, `"${s.name}" is the primary key of "${s.table}"`, 'a primary key cannot be dropped while both versions write the table');
      validateShadow(ctx, shadow(ctx, s, table, def));
    },

    apply(spec, ctx) {
      const s = d(spec);
      const table = requireTable(ctx, s.table);
      const def = constraintOf(table, s.name);
      const sh = needsShadow(s, def) && def ? shadow(ctx, s, table, def) : null;
      return withTable(ctx.model, s.table, (t) => ({
        ...t,
        columns: sh ? newShape(sh) : t.columns,
        constraints: t.constraints.filter((c) => c !== s.name),
        constraintDefs: (t.constraintDefs ?? []).filter((c) => c.name !== s.name),
      }));
    },

    start(spec, ctx) {
      const sh = shadowFor(ctx, d(spec));
      return sh ? shadowStart(ctx, sh) : [];
    },

    complete(spec, ctx) {
      const s = d(spec);
      const sh = shadowFor(ctx, s);
      if (sh) return shadowComplete(ctx, sh);
      const ref = tableRef(ctx, requireTable(ctx, s.table));
      return [ddl(actionId(ctx, 'drop'), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(s.name)}`, STAGE.drop)];
    },

    rollback(spec, ctx): Action[] {
      const sh = shadowFor(ctx, d(spec));
      return sh ? shadowRollback(ctx, sh) : [];
    },

    expressions(spec, ctx): ExpressionCheck[] {
      const s = d(spec);
      const sh = shadowFor(ctx, s);
      return sh ? shadowExpressions(sh, s.label) : [];
    },
  };
}

export const dropConstraint = dropOperation<'drop_constraint'>(
  (spec: OpSpec<'drop_constraint'>) => ({
    table: spec.table,
    name: spec.name,
    up: () => spec.up,
    down: () => spec.down,
    label: (dir) => (spec[dir] === undefined ? `${dir} (not given: the column itself)` : dir),
    given: [],
  }),
  (spec: OpSpec<'drop_constraint'>, ctx, def) => {
    if (!def) return;
    if (spec.column !== undefined && !(def.columns.length === 1 && def.columns[0] === spec.column)) {
      throw new InvalidOperationError(ctx.kind, `constraint "${spec.name}" is on ${def.columns.map((c) => `"${c}"`).join(', ') || 'no column'}, not "${spec.column}"`, 'fix "column" or leave it out');
    }
    if ((spec.up !== undefined || spec.down !== undefined) && def.columns.length > 1) {
      throw new InvalidOperationError(
        ctx.kind,
        `constraint "${spec.name}" covers ${def.columns.length} columns (${def.columns.join(', ')}); one up/down cannot convert them all`,
        'use drop_multicolumn_constraint with up/down given per column',
      );
    }
  },
);

export const dropMulticolumnConstraint = dropOperation<'drop_multicolumn_constraint'>(
  (spec: OpSpec<'drop_multicolumn_constraint'>) => ({
    table: spec.table,
    name: spec.name,
    up: (c) => spec.up?.[c],
    down: (c) => spec.down?.[c],
    label: (dir, c) => (spec[dir]?.[c] === undefined ? `${dir}.${c} (not given: the column itself)` : `${dir}.${c}`),
    given: [...Object.keys(spec.up ?? {}), ...Object.keys(spec.down ?? {})],
  }),
  (spec: OpSpec<'drop_multicolumn_constraint'>, ctx, def) => {
    if (!def) return;
    for (const [field, map] of [['up', spec.up], ['down', spec.down]] as const) {
      for (const col of Object.keys(map ?? {})) {
        if (!def.columns.includes(col)) {
          throw new InvalidOperationError(ctx.kind, `${field} names "${col}", which constraint "${spec.name}" does not cover (it covers ${def.columns.join(', ')})`, `give ${field} one entry per column of the constraint`);
        }
      }
    }
  },
);


function constraintOf(table: TableModel, name: string): ConstraintModel | undefined {
  return (table.constraintDefs ?? []).find((c) => c.name === name);
}

function needsShadow(s: DropSpec, def: ConstraintModel | undefined): boolean {
  if (!def) return s.up('') !== undefined || s.down('') !== undefined || s.given.length > 0;
  return def.columns.some((c) => !isIdentity(s.up(c), c) || !isIdentity(s.down(c), c));
}

function shadow(ctx: OpContext, s: DropSpec, table: TableModel, def: ConstraintModel): Shadow {
  const columns = def.columns.map((physical) => {
    const old = table.columns.find((c) => c.physical === physical);
    if (!old) throw new InvalidOperationError(ctx.kind, `column "${physical}" of constraint "${s.name}" was changed earlier in this migration`, 'drop the constraint in the next migration');
    return shadowOf(old, {}, s.up(old.name), s.down(old.name));
  });
  return { table, columns, without: [s.name] };
}

function shadowFor(ctx: OpContext, s: DropSpec): Shadow | null {
  const table = requireTable(ctx, s.table);
  const def = constraintOf(table, s.name);
  return def && needsShadow(s, def) ? shadow(ctx, s, table, def) : null;
}
