/**
 * alter_column: a type, nullability, default or constraint change goes to a
 * shadow column of the new shape (shadow.ts), carrying the column's own
 * constraints, indexes and comment along. Old-version writes run `up`,
 * new-version writes run `down`. A rename (Cutover's `name`) or a comment
 * alone needs no shadow: the view shows it, complete applies it.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import type { OpSpec } from '../file-schema.ts';
import { withTable } from '../model.ts';
import { ident, renameIdentifiers } from '../sql.ts';
import { actionId, commentSql, dropIndexSql, referencesClause, requireColumn, requireNoColumn, requireNoConstraint, requireReferenced, requireTable, requireUnchanged, tableRef } from './common.ts';
import { renameColumn } from './rename-column.ts';
import { isIdentity, newShape, shadowComplete, shadowExpressions, shadowOf, shadowRollback, shadowStart, validateShadow, type Shadow } from './shadow.ts';
import type { ExpressionCheck, OpContext, Operation } from './types.ts';

type Spec = OpSpec<'alter_column'>;

export const alterColumn: Operation<'alter_column'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.column);
    requireUnchanged(ctx, table, column);
    const newName = spec.name ?? spec.column;
    if (newName !== spec.column) requireNoColumn(ctx, table, newName);
    if (!changesAnything(spec)) {
      throw new InvalidOperationError(ctx.kind, `alter_column on "${spec.table}"."${spec.column}" changes nothing`, 'give one or more of: type, nullable, default, comment, unique, check, references, name');
    }
    if (!needsShadow(spec)) return;
    if (spec.nullable === false && column.nullable && spec.up === undefined) {
      throw new InvalidOperationError(ctx.kind, `making "${spec.column}" NOT NULL needs "up" to give existing NULLs a value`, 'add e.g. up: "coalesce(col, <value>)"');
    }
    if (spec.references) {
      requireReferenced(ctx, spec.references.table, [spec.references.column]);
      requireNoConstraint(ctx, table, spec.references.name);
    }
    if (spec.check) requireNoConstraint(ctx, table, spec.check.name);
    if (spec.unique) requireNoConstraint(ctx, table, spec.unique.name, true);
    validateShadow(ctx, shadow(spec, ctx));
  },

  apply(spec, ctx) {
    if (!needsShadow(spec)) {
      const renamed = spec.name && spec.name !== spec.column ? renameColumn.apply({ table: spec.table, from: spec.column, to: spec.name }, ctx) : ctx.model;
      const name = spec.name ?? spec.column;
      return withTable(renamed, spec.table, (t) => ({
        ...t,
        columns: t.columns.map((c) => (c.name === name ? { ...c, changed: true, ...(spec.comment !== undefined ? { comment: spec.comment } : {}) } : c)),
      }));
    }
    const s = shadow(spec, ctx);
    const added = [spec.check?.name, spec.references?.name, spec.unique?.name].filter((n): n is string => n !== undefined);
    const next = withTable(ctx.model, spec.table, (t) => ({ ...t, columns: newShape(s), constraints: [...t.constraints, ...added] }));
    if (spec.unique) next.relations.push(spec.unique.name);
    return next;
  },

  start(spec, ctx) {
    if (!needsShadow(spec)) return [];
    const s = shadow(spec, ctx);
    const col = s.columns[0]!;
    const ref = tableRef(ctx, s.table);
    const shadowCol = ident(col.next.physical);
    const extra: Action[] = [];
    if (spec.check) {
      const expr = renameIdentifiers(spec.check.constraint, physicalByName(s));
      const noInherit = spec.check.no_inherit ? ' NO INHERIT' : '';
      extra.push(ddl(actionId(ctx, 'check'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(spec.check.name)} CHECK (${expr})${noInherit} NOT VALID`));
    }
    if (spec.references) {
      const to = referencesClause(ctx, spec.references);
      extra.push(ddl(actionId(ctx, 'references'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(spec.references.name)} FOREIGN KEY (${shadowCol}) ${to} NOT VALID`));
    }
    const indexes: Action[] = [];
    if (spec.unique) {
      const idx = ident(spec.unique.name);
      indexes.push(concurrent(actionId(ctx, 'unique'), `CREATE UNIQUE INDEX CONCURRENTLY ${idx} ON ${ref} (${shadowCol})`, dropIndexSql(ctx, spec.unique.name)));
    }
    return shadowStart(ctx, s, { ddl: extra, concurrent: indexes });
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    if (!needsShadow(spec)) {
      const out = spec.name && spec.name !== spec.column ? renameColumn.complete({ table: spec.table, from: spec.column, to: spec.name }, ctx) : [];
      if (spec.comment !== undefined) {
        out.push(ddl(actionId(ctx, 'comment'), commentSql(`COLUMN ${ref}.${ident(spec.name ?? spec.column)}`, spec.comment), STAGE.constrain));
      }
      return out;
    }
    const s = shadow(spec, ctx);
    const out: Action[] = [];
    if (spec.check) out.push(validate(actionId(ctx, 'validate-check'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(spec.check.name)}`));
    if (spec.references) out.push(validate(actionId(ctx, 'validate-references'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(spec.references.name)}`));
    out.push(...shadowComplete(ctx, s));
    if (spec.unique) {
      const idx = ident(spec.unique.name);
      out.push(ddl(actionId(ctx, 'unique-constraint'), `ALTER TABLE ${ref} ADD CONSTRAINT ${idx} UNIQUE USING INDEX ${idx}`, STAGE.constrain));
    }
    return out;
  },

  rollback(spec, ctx) {
    if (!needsShadow(spec)) return [];
    return shadowRollback(ctx, shadow(spec, ctx), spec.unique ? [spec.unique.name] : []);
  },

  expressions(spec, ctx): ExpressionCheck[] {
    if (!needsShadow(spec)) return [];
    const s = shadow(spec, ctx);
    const col = s.columns[0]!;
    const out = shadowExpressions(s, {
      up: spec.up === undefined ? undefined : 'up',
      down: spec.down === undefined ? undefined : 'down',
    });
    const shape = newShape(s).map((c) => ({ name: c.name, type: c.type }));
    if (spec.default !== undefined && spec.default !== null) {
      out.push({ field: 'default', sql: `CAST((${spec.default}) AS ${col.next.type})`, table: s.table.name, columns: shape, shape: 'new', purpose: `the default of "${col.next.name}"` });
    }
    if (spec.check) out.push({ field: 'check.constraint', sql: spec.check.constraint, table: s.table.name, columns: shape, shape: 'new', purpose: `check constraint "${spec.check.name}"` });
    return out;
  },
};

function changesAnything(spec: Spec): boolean {
  const { table: _t, column: _c, up: _u, down: _d, ...rest } = spec;
  return Object.entries(rest).some(([k, v]) => v !== undefined && !(k === 'name' && v === spec.column)) || spec.up !== undefined || spec.down !== undefined;
}

/** A rename or a comment alone (with `up`/`down` that change nothing) is applied in place. */
function needsShadow(spec: Spec): boolean {
  const structural =
    spec.type !== undefined || spec.nullable !== undefined || spec.default !== undefined || spec.unique !== undefined || spec.check !== undefined || spec.references !== undefined;
  return structural || !isIdentity(spec.up, spec.column) || !isIdentity(spec.down, spec.name ?? spec.column);
}

function shadow(spec: Spec, ctx: OpContext): Shadow {
  const table = requireTable(ctx, spec.table);
  const old = requireColumn(ctx, table, spec.column);
  const type = spec.type ?? old.type;
  const typeChanged = spec.type !== undefined;
  // Without a new default the old one carries over (cast to the new type), so inserts that omit the column behave as before.
  const carried = old.default === null ? null : typeChanged ? `(${old.default})::${type}` : old.default;
  const next = {
    type,
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.nullable !== undefined ? { nullable: spec.nullable } : {}),
    default: spec.default === undefined ? carried : spec.default,
    ...(spec.comment !== undefined ? { comment: spec.comment } : {}),
  };
  const newName = spec.name ?? spec.column;
  const up = spec.up ?? (typeChanged ? `CAST(${ident(old.name)} AS ${type})` : undefined);
  const down = spec.down ?? (typeChanged ? `CAST(${ident(newName)} AS ${old.type})` : undefined);
  return { table, columns: [shadowOf(old, next, up, down)], without: [] };
}

/** Visible name → physical name of the new version's columns, for constraint expressions written in visible names. */
function physicalByName(s: Shadow): Map<string, string> {
  return new Map(newShape(s).map((c) => [c.name, c.physical]));
}
