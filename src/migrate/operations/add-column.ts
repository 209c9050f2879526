/**
 * add_column: the column is added without NOT NULL and without a table
 * rewrite; NOT NULL, CHECK and FOREIGN KEY go on as NOT VALID constraints and
 * are validated at complete, UNIQUE is an index built CONCURRENTLY. With `up`,
 * a trigger fills the column for writes from the old version (only those, as
 * in pgroll) and a backfill fills the existing rows.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident, literal, shortName } from '../sql.ts';
import { createTrigger, withShape } from '../triggers.ts';
import { actionId, dropIndexSql, dropSyncTrigger, referencesClause, requireNoColumn, requireNoConstraint, requireReferenced, requireTable, syncTrigger, tableRef } from './common.ts';
import type { ExpressionCheck, OpContext, Operation } from './types.ts';
import type { OpSpec } from '../file-schema.ts';
import { storedType } from './create-table.ts';

type Spec = OpSpec<'add_column'>;

export const addColumn: Operation<'add_column'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const c = spec.column;
    requireNoColumn(ctx, table, c.name);
    if (c.pk) throw new InvalidOperationError(ctx.kind, 'cannot add a primary key column', 'add the column, then create_constraint with type: primary_key');
    if (c.generated) throw new InvalidOperationError(ctx.kind, `column "${c.name}" is generated; generated columns can only be created with their table`, 'fill the column with "up" instead');
    if (!c.nullable && spec.up === undefined && !hasDefault(spec) && !/^(small|big)?serial$/i.test(c.type.trim())) {
      throw new InvalidOperationError(
        ctx.kind,
        `column "${c.name}" is NOT NULL (columns are, unless "nullable: true") but has neither "up" nor "default" to fill existing rows`,
        'add "up: <sql expression>" or "default: <value>", or set "nullable: true"',
      );
    }
    if (c.references) {
      requireReferenced(ctx, c.references.table, [c.references.column]);
      requireNoConstraint(ctx, table, c.references.name);
    }
    if (c.check) requireNoConstraint(ctx, table, c.check.name);
    if (c.unique) requireNoConstraint(ctx, table, uniqueName(spec), true);
  },

  apply(spec, ctx) {
    const c = spec.column;
    const added = [c.check?.name, c.references?.name, c.unique ? uniqueName(spec) : undefined].filter((n): n is string => n !== undefined);
    const next = withTable(ctx.model, spec.table, (t) => ({
      ...t,
      columns: [...t.columns, { name: c.name, physical: c.name, type: storedType(c.type), nullable: c.nullable, default: c.default ?? null, comment: c.comment ?? null, changed: true }],
      constraints: [...t.constraints, ...added],
    }));
    if (c.unique) next.relations.push(uniqueName(spec));
    return next;
  },

  start(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const col = ident(spec.column.name);
    const c = spec.column;
    // With `up`, existing rows must stay NULL until the backfill fills them, so the default goes on separately.
    const inlineDefault = hasDefault(spec) && spec.up === undefined ? ` DEFAULT ${c.default}` : '';
    const out: Action[] = [ddl(actionId(ctx, 'add'), `ALTER TABLE ${ref} ADD COLUMN ${col} ${c.type}${inlineDefault}`)];
    if (hasDefault(spec) && spec.up !== undefined) {
      out.push(ddl(actionId(ctx, 'default'), `ALTER TABLE ${ref} ALTER COLUMN ${col} SET DEFAULT ${c.default}`));
    }
    if (c.comment) out.push(ddl(actionId(ctx, 'comment'), `COMMENT ON COLUMN ${ref}.${col} IS ${literal(c.comment)}`));
    if (spec.up !== undefined) out.push(...createTrigger(trigger(spec, ctx)));
    if (!c.nullable) {
      out.push(ddl(actionId(ctx, 'not-null'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(notNullName(ctx, spec))} CHECK (${col} IS NOT NULL) NOT VALID`));
    }
    if (c.check) {
      const noInherit = c.check.no_inherit ? ' NO INHERIT' : '';
      out.push(ddl(actionId(ctx, 'check'), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(c.check.name)} CHECK (${c.check.constraint})${noInherit} NOT VALID`));
    }
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
    if (spec.column.unique) out.push(concurrent(actionId(ctx, 'drop-unique'), dropIndexSql(ctx, uniqueName(spec))));
    if (spec.up !== undefined) out.push(...dropSyncTrigger(ctx, table));
    out.push(ddl(actionId(ctx, 'drop'), `ALTER TABLE ${tableRef(ctx, table)} DROP COLUMN IF EXISTS ${ident(spec.column.name)}`, STAGE.drop));
    return out;
  },

  expressions(spec, ctx): ExpressionCheck[] {
    const table = requireTable(ctx, spec.table);
    const c = spec.column;
    const oldShape = table.columns.map((x) => ({ name: x.name, type: x.type }));
    const newShape = [...oldShape, { name: c.name, type: storedType(c.type) }];
    const out: ExpressionCheck[] = [];
    if (spec.up !== undefined) out.push({ field: 'up', sql: spec.up, table: table.name, columns: oldShape, shape: 'old', purpose: `"${c.name}" for rows written by the old version` });
    if (hasDefault(spec)) out.push({ field: 'column.default', sql: `CAST((${c.default}) AS ${storedType(c.type)})`, table: table.name, columns: [], shape: 'new', purpose: `the default of "${c.name}"` });
    if (c.check) out.push({ field: 'column.check.constraint', sql: c.check.constraint, table: table.name, columns: newShape, shape: 'new', purpose: `check constraint "${c.check.name}"` });
    return out;
  },
};

function hasDefault(spec: Spec): boolean {
  return spec.column.default !== undefined && spec.column.default !== null;
}

function trigger(spec: Spec, ctx: OpContext) {
  const table = requireTable(ctx, spec.table);
  const fill = `NEW.${ident(spec.column.name)} := (${spec.up});`;
  return syncTrigger(ctx, table, {
    // The old version cannot see the column, so `up` decides its value; the new version writes it itself.
    fromOld: withShape(table.columns, fill),
    fromNew: '',
  });
}

function notNullName(ctx: OpContext, spec: Spec): string {
  return shortName(spec.table, spec.column.name, 'not_null', String(ctx.index));
}

function uniqueName(spec: Spec): string {
  return shortName(spec.table, spec.column.name, 'key');
}
