/**
 * add_column: the column is added nullable and without a table rewrite; NOT
 * NULL and CHECK go on as NOT VALID constraints and are validated at complete.
 * With `up`, a trigger fills the column for writes from the old version and a
 * backfill fills existing rows.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident, shortName } from '../sql.ts';
import { createTrigger, withShape } from '../triggers.ts';
import { actionId, dropIndexSql, dropSyncTrigger, syncTrigger, referencesClause, requireNoColumn, requireTable, tableRef } from './common.ts';
import type { OpContext, Operation } from './types.ts';
import type { OpSpec } from '../file-schema.ts';

type Spec = OpSpec<'add_column'>;

export const addColumn: Operation<'add_column'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    requireNoColumn(ctx, table, spec.column.name);
    if (spec.column.pk) {
      throw new InvalidOperationError(ctx.kind, 'cannot add a primary key column', 'add the column, then a unique constraint');
    }
    if (!spec.column.nullable && spec.up === undefined && spec.column.default === undefined) {
      throw new InvalidOperationError(
        ctx.kind,
        `column "${spec.column.name}" is NOT NULL but has neither "up" nor "default" to fill existing rows`,
        'add "up: <sql expression>" or "default: <value>", or make it nullable',
      );
    }
    if (spec.column.references) referencesClause(ctx, spec.column.references);
  },

  apply(spec, ctx) {
    const c = spec.column;
    return withTable(ctx.model, spec.table, (t) => ({
      ...t,
      columns: [
        ...t.columns,
        { name: c.name, physical: c.name, type: c.type, nullable: c.nullable, default: c.default ?? null, changed: true },
      ],
    }));
  },

  start(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const col = ident(spec.column.name);
    const c = spec.column;
    // With `up`, existing rows must stay NULL until the backfill fills them, so the default goes on separately.
    const inlineDefault = c.default !== undefined && spec.up === undefined ? ` DEFAULT ${c.default}` : '';
    const out: Action[] = [ddl(actionId(ctx, 'add'), `ALTER TABLE ${ref} ADD COLUMN ${col} ${c.type}${inlineDefault}`)];
    if (c.default !== undefined && spec.up !== undefined) {
      out.push(ddl(actionId(ctx, 'default'), `ALTER TABLE ${ref} ALTER COLUMN ${col} SET DEFAULT ${c.default}`));
    }
    if (spec.up !== undefined) out.push(...createTrigger(trigger(spec, ctx)));
    if (!c.nullable) {
      out.push(ddl(actionId(ctx, 'not-null'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(notNullName(ctx, spec))} CHECK (${col} IS NOT NULL) NOT VALID`));
    }
    if (c.check) out.push(ddl(actionId(ctx, 'check'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(c.check.name)} CHECK (${c.check.constraint}) NOT VALID`));
    if (c.references) {
      const target = referencesClause(ctx, c.references);
      out.push(ddl(actionId(ctx, 'references'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(c.references.name)} FOREIGN KEY (${col}) ${target} NOT VALID`));
    }
    if (spec.up !== undefined) {
      const key = table.primaryKey;
      out.push({ id: actionId(ctx, 'backfill'), kind: 'backfill', sql: '', stage: STAGE.drop, backfill: { table: ref, key, touch: table.columns[0]!.physical } });
    }
    if (c.unique) {
      const idx = ident(uniqueName(spec));
      out.push(concurrent(actionId(ctx, 'unique'), `CREATE UNIQUE INDEX CONCURRENTLY ${idx} ON ${ref} (${col})`, dropIndexSql(ctx, uniqueName(spec))));
    }
    return out;
  },

  complete(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const c = spec.column;
    const out: Action[] = [];
    if (spec.up !== undefined) out.push(...dropSyncTrigger(ctx, table));
    if (!c.nullable) {
      const nn = ident(notNullName(ctx, spec));
      out.push(validate(actionId(ctx, 'validate-not-null'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${nn}`));
      // A validated CHECK (x IS NOT NULL) lets SET NOT NULL skip its table scan.
      out.push(ddl(actionId(ctx, 'set-not-null'), `ALTER TABLE ${ref} ALTER COLUMN ${ident(c.name)} SET NOT NULL`, STAGE.constrain));
      out.push(ddl(actionId(ctx, 'drop-not-null-check'), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${nn}`, STAGE.constrain));
    }
    if (c.check) out.push(validate(actionId(ctx, 'validate-check'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(c.check.name)}`));
    if (c.references) out.push(validate(actionId(ctx, 'validate-references'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(c.references.name)}`));
    if (c.unique) {
      const idx = uniqueName(spec);
      out.push(ddl(actionId(ctx, 'unique-constraint'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(idx)} UNIQUE USING INDEX ${ident(idx)}`, STAGE.constrain));
    }
    return out;
  },

  rollback(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const out: Action[] = [];
    if (spec.up !== undefined) out.push(...dropSyncTrigger(ctx, table));
    out.push(ddl(actionId(ctx, 'drop'), `ALTER TABLE ${tableRef(ctx, table)} DROP COLUMN IF EXISTS ${ident(spec.column.name)}`, STAGE.drop));
    return out;
  },
};

function trigger(spec: Spec, ctx: OpContext) {
  const table = requireTable(ctx, spec.table);
  const col = ident(spec.column.name);
  const fill = `NEW.${col} := (${spec.up});`;
  return syncTrigger(ctx, table, {
    // The old version cannot see the column, so `up` always decides its value.
    fromOld: withShape(table.columns, fill),
    // The new version writes it itself; fill it only on rows it never set (not yet backfilled).
    fromNew: `IF TG_OP = 'UPDATE' AND NEW.${col} IS NULL AND OLD.${col} IS NULL THEN\n${withShape(table.columns, fill)}\nEND IF;`,
  });
}

function notNullName(ctx: OpContext, spec: Spec): string {
  return shortName(spec.table, spec.column.name, 'not_null', String(ctx.index));
}

function uniqueName(spec: Spec): string {
  return shortName(spec.table, spec.column.name, 'key');
}
