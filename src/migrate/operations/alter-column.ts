/**
 * alter_column: a type, nullability, default or constraint change (with an
 * optional rename) goes to a shadow column of the new shape. A sync trigger
 * converts old→new with `up` and new→old with `down`; complete drops the old
 * column and renames the shadow into place in one transaction. A bare rename
 * is a rename_column.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import type { OpSpec } from '../file-schema.ts';
import { withTable, type ColumnModel } from '../model.ts';
import { ident, shortName } from '../sql.ts';
import { createTrigger, withShape, type SyncTrigger } from '../triggers.ts';
import { actionId, dropIndexSql, dropSyncTrigger, syncTrigger, referencesClause, renameInExpression, requireColumn, requireNoColumn, requireTable, requireUnchanged, shadowName, tableRef } from './common.ts';
import { renameColumn } from './rename-column.ts';
import { buildCarriedIndexes, renameCarriedIndexes } from './carry-indexes.ts';
import type { OpContext, Operation } from './types.ts';

type Spec = OpSpec<'alter_column'>;

export const alterColumn: Operation<'alter_column'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const column = requireColumn(ctx, table, spec.column);
    requireUnchanged(ctx, table, column);
    const newName = spec.name ?? spec.column;
    if (newName !== spec.column) requireNoColumn(ctx, table, newName);
    if (isRenameOnly(spec)) return;
    if (table.primaryKey.includes(column.physical)) {
      throw new InvalidOperationError(ctx.kind, `"${spec.column}" is part of the primary key of "${spec.table}"`, 'add a new column and move the key in separate migrations');
    }
    if (spec.nullable === false && column.nullable && spec.up === undefined) {
      throw new InvalidOperationError(ctx.kind, `making "${spec.column}" NOT NULL needs "up" to give existing NULLs a value`, 'add e.g. up: "coalesce(col, <value>)"');
    }
    if (spec.references) referencesClause(ctx, spec.references);
  },

  apply(spec, ctx) {
    if (isRenameOnly(spec)) return renameColumn.apply(asRename(spec), ctx);
    const next = target(spec, ctx);
    return withTable(ctx.model, spec.table, (t) => ({ ...t, columns: t.columns.map((c) => (c.name === spec.column ? next : c)) }));
  },

  start(spec, ctx) {
    if (isRenameOnly(spec)) return [];
    const table = requireTable(ctx, spec.table);
    const old = requireColumn(ctx, table, spec.column);
    const next = target(spec, ctx);
    const ref = tableRef(ctx, table);
    const shadow = ident(next.physical);
    // Column, default, trigger and NOT VALID constraints in one transaction: no write ever sees the shadow without its trigger (pgroll#905).
    const out: Action[] = [ddl(actionId(ctx, 'add-shadow'), `ALTER TABLE ${ref} ADD COLUMN ${shadow} ${next.type}`)];
    if (next.default !== null) out.push(ddl(actionId(ctx, 'default'), `ALTER TABLE ${ref} ALTER COLUMN ${shadow} SET DEFAULT ${next.default}`));
    if (!old.nullable && next.nullable) {
      // New-version writes may now be NULL; the old column must accept their down-converted value.
      out.push(ddl(actionId(ctx, 'old-nullable'), `ALTER TABLE ${ref} ALTER COLUMN ${ident(old.physical)} DROP NOT NULL`));
    }
    out.push(...createTrigger(trigger(spec, ctx)));
    if (!next.nullable) {
      out.push(ddl(actionId(ctx, 'not-null'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(notNullName(ctx, spec))} CHECK (${shadow} IS NOT NULL) NOT VALID`));
    }
    if (spec.check) {
      const expr = renameInExpression(spec.check.constraint, next.name, next.physical);
      out.push(ddl(actionId(ctx, 'check'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(spec.check.name)} CHECK (${expr}) NOT VALID`));
    }
    if (spec.references) {
      const to = referencesClause(ctx, spec.references);
      out.push(ddl(actionId(ctx, 'references'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(spec.references.name)} FOREIGN KEY (${shadow}) ${to} NOT VALID`));
    }
    out.push({ id: actionId(ctx, 'backfill'), kind: 'backfill', sql: '', stage: STAGE.drop, backfill: { table: ref, key: table.primaryKey, touch: old.physical } });
    out.push(...buildCarriedIndexes(ctx, table, old.physical, next.physical));
    if (spec.unique) {
      const idx = ident(spec.unique.name);
      out.push(concurrent(actionId(ctx, 'unique'), `CREATE UNIQUE INDEX CONCURRENTLY ${idx} ON ${ref} (${shadow})`, dropIndexSql(ctx, spec.unique.name)));
    }
    return out;
  },

  complete(spec, ctx) {
    if (isRenameOnly(spec)) return renameColumn.complete(asRename(spec), ctx);
    const table = requireTable(ctx, spec.table);
    const old = requireColumn(ctx, table, spec.column);
    const next = target(spec, ctx);
    const ref = tableRef(ctx, table);
    const out: Action[] = [];
    if (!next.nullable) out.push(validate(actionId(ctx, 'validate-not-null'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(notNullName(ctx, spec))}`));
    if (spec.check) out.push(validate(actionId(ctx, 'validate-check'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(spec.check.name)}`));
    if (spec.references) out.push(validate(actionId(ctx, 'validate-references'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(spec.references.name)}`));
    out.push(...dropSyncTrigger(ctx, table));
    out.push(ddl(actionId(ctx, 'drop-old'), `ALTER TABLE ${ref} DROP COLUMN ${ident(old.physical)}`, STAGE.drop));
    out.push(...renameCarriedIndexes(ctx, table, old.physical));
    out.push(ddl(actionId(ctx, 'rename-shadow'), `ALTER TABLE ${ref} RENAME COLUMN ${ident(next.physical)} TO ${ident(next.name)}`, STAGE.rename));
    if (!next.nullable) {
      out.push(ddl(actionId(ctx, 'set-not-null'), `ALTER TABLE ${ref} ALTER COLUMN ${ident(next.name)} SET NOT NULL`, STAGE.constrain));
      out.push(ddl(actionId(ctx, 'drop-not-null-check'), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(notNullName(ctx, spec))}`, STAGE.constrain));
    }
    if (spec.unique) {
      const idx = ident(spec.unique.name);
      out.push(ddl(actionId(ctx, 'unique-constraint'), `ALTER TABLE ${ref} ADD CONSTRAINT ${idx} UNIQUE USING INDEX ${idx}`, STAGE.constrain));
    }
    return out;
  },

  rollback(spec, ctx) {
    if (isRenameOnly(spec)) return [];
    const table = requireTable(ctx, spec.table);
    const next = target(spec, ctx);
    return [
      ...dropSyncTrigger(ctx, table),
      ddl(actionId(ctx, 'drop-shadow'), `ALTER TABLE ${tableRef(ctx, table)} DROP COLUMN IF EXISTS ${ident(next.physical)}`, STAGE.drop),
    ];
  },
};

function isRenameOnly(spec: Spec): boolean {
  const { table: _t, column: _c, name: _n, ...rest } = spec;
  return Object.values(rest).every((v) => v === undefined);
}

function asRename(spec: Spec): OpSpec<'rename_column'> {
  return { table: spec.table, from: spec.column, to: spec.name ?? spec.column };
}

/** The column as the new version sees it, stored in a shadow column. */
function target(spec: Spec, ctx: OpContext): ColumnModel {
  const old = requireColumn(ctx, requireTable(ctx, spec.table), spec.column);
  const type = spec.type ?? old.type;
  // Without a new default the old one carries over (cast to the new type), so inserts that omit the column behave as before.
  const carried = old.default === null ? null : spec.type === undefined ? old.default : `(${old.default})::${type}`;
  return {
    name: spec.name ?? spec.column,
    physical: shadowName(old.physical),
    type,
    nullable: spec.nullable ?? old.nullable,
    default: spec.default === undefined ? carried : spec.default,
    changed: true,
  };
}

function trigger(spec: Spec, ctx: OpContext): SyncTrigger {
  const table = requireTable(ctx, spec.table);
  const old = requireColumn(ctx, table, spec.column);
  const next = target(spec, ctx);
  const oldShape = table.columns;
  const newShape = table.columns.map((c) => (c.name === spec.column ? next : c));
  const up = spec.up ?? `CAST(${ident(old.name)} AS ${next.type})`;
  const down = spec.down ?? `CAST(${ident(next.name)} AS ${old.type})`;
  const toNew = withShape(oldShape, `NEW.${ident(next.physical)} := (${up});`);
  const toOld = withShape(newShape, `NEW.${ident(old.physical)} := (${down});`);
  return syncTrigger(ctx, table, {
    fromOld: toNew,
    // An update from the new version that leaves the new column alone keeps (or derives) it from the old one.
    fromNew: `IF TG_OP = 'INSERT' OR NEW.${ident(next.physical)} IS DISTINCT FROM OLD.${ident(next.physical)} THEN\n${toOld}\nELSE\n${toNew}\nEND IF;`,
  });
}

function notNullName(ctx: OpContext, spec: Spec): string {
  return shortName(spec.table, spec.column, 'not_null', String(ctx.index));
}
