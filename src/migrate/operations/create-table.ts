/**
 * create_table: a new table with its columns, table-level constraints and
 * comments; the old version never sees it, rollback drops it. Columns are
 * NOT NULL unless `nullable: true` (pgroll's default).
 */
import { STAGE, ddl } from '../actions.ts';
import { ConstraintAlreadyExistsError, InvalidOperationError, TableAlreadyExistsError } from '../errors.ts';
import type { OpSpec, TableConstraintSpec } from '../file-schema.ts';
import { cloneModel, findTable } from '../model.ts';
import { ident, qualified } from '../sql.ts';
import { actionId, columnDefinition, commentSql, deferrable, indexParameters, fkActions, foreignColumns, requireReferenced } from './common.ts';
import type { OpContext, Operation } from './types.ts';

type Spec = OpSpec<'create_table'>;

export const createTable: Operation<'create_table'> = {
  validate(spec, ctx) {
    if (findTable(ctx.model, spec.name) || ctx.model.relations.includes(spec.name)) {
      throw new TableAlreadyExistsError(ctx.kind, spec.name);
    }
    const names = new Set<string>();
    const self = { name: spec.name, columns: spec.columns.map((c) => c.name) };
    for (const c of spec.columns) {
      if (names.has(c.name)) throw new InvalidOperationError(ctx.kind, `column "${c.name}" is listed twice`, 'give each column a unique name');
      names.add(c.name);
      if (c.references) requireReferenced(ctx, c.references.table, [c.references.column], self);
      if (c.generated?.expression && c.generated.identity) {
        throw new InvalidOperationError(ctx.kind, `column "${c.name}" sets both generated.expression and generated.identity`, 'a generated column is either stored (expression) or an identity, not both');
      }
    }
    const constraintNames = new Set(spec.columns.flatMap((c) => [c.check?.name, c.references?.name]).filter((n) => n !== undefined));
    const pkColumns = spec.columns.some((c) => c.pk);
    for (const k of spec.constraints ?? []) {
      const at = `constraint "${k.name}"`;
      if (constraintNames.has(k.name) || ctx.model.relations.includes(k.name)) throw new ConstraintAlreadyExistsError(ctx.kind, spec.name, k.name);
      constraintNames.add(k.name);
      for (const col of [...(k.columns ?? []), ...(k.index_parameters?.include_columns ?? [])]) {
        if (!names.has(col)) throw new InvalidOperationError(ctx.kind, `${at} names column "${col}", which "${spec.name}" does not have`, `use one of: ${[...names].join(', ')}`);
      }
      const need = (what: string, ok: boolean, hint: string) => {
        if (!ok) throw new InvalidOperationError(ctx.kind, `${at} (${k.type}) needs ${what}`, hint);
      };
      if (k.type === 'unique' || k.type === 'primary_key' || k.type === 'foreign_key') need('"columns"', (k.columns ?? []).length > 0, 'list the columns it covers');
      if (k.type === 'check') need('"check"', !!k.check, 'add check: "<sql expression>"');
      if (k.type === 'exclude') need('"exclude" with "elements"', !!k.exclude?.elements, 'add exclude: { index_method: gist, elements: "col WITH =" }');
      if (k.type === 'foreign_key') {
        need('"references"', !!k.references, 'add references: { table, columns }');
        requireReferenced(ctx, k.references!.table, k.references!.columns, self);
        if (k.references!.columns.length !== k.columns!.length) {
          throw new InvalidOperationError(ctx.kind, `${at}: columns and references.columns differ in length`, 'list one referenced column per column');
        }
      }
      if (k.type === 'primary_key' && pkColumns) {
        throw new InvalidOperationError(ctx.kind, `${at}: the primary key is already set with "pk: true" on columns`, 'set the primary key in one place: the columns or the constraints');
      }
      if (k.type === 'check' && (k.deferrable || k.initially_deferred || k.index_parameters || k.nulls_not_distinct)) {
        throw new InvalidOperationError(ctx.kind, `${at}: a check constraint cannot be deferrable, have index_parameters or nulls_not_distinct`, 'remove those fields');
      }
    }
  },

  apply(spec, ctx) {
    const next = cloneModel(ctx.model);
    const pk = primaryKey(spec);
    next.tables.push({
      name: spec.name,
      physical: spec.name,
      columns: spec.columns.map((c) => ({
        name: c.name,
        physical: c.name,
        type: storedType(c.type),
        nullable: c.nullable && !pk.includes(c.name),
        default: c.default ?? null,
        comment: c.comment ?? null,
        changed: true,
      })),
      primaryKey: pk,
      constraints: [
        ...spec.columns.flatMap((c) => [c.check?.name, c.references?.name]).filter((n): n is string => n !== undefined),
        ...(spec.constraints ?? []).map((k) => k.name),
      ],
      comment: spec.comment ?? null,
      renamed: true,
      created: true,
    });
    next.relations.push(spec.name, ...(spec.constraints ?? []).filter((k) => k.type !== 'check' && k.type !== 'foreign_key').map((k) => k.name));
    return next;
  },

  start(spec, ctx) {
    const ref = qualified(ctx.model.schema, spec.name);
    const cols = spec.columns.map((c) => columnDefinition(ctx, c, spec.name));
    const pk = spec.columns.filter((c) => c.pk).map((c) => ident(c.name));
    if (pk.length) cols.push(`PRIMARY KEY (${pk.join(', ')})`);
    for (const k of spec.constraints ?? []) cols.push(constraintDefinition(ctx, spec.name, k));
    const out = [ddl(actionId(ctx, 'create'), `CREATE TABLE ${ref} (\n  ${cols.join(',\n  ')}\n)`)];
    if (spec.comment) out.push(ddl(actionId(ctx, 'comment'), commentSql(`TABLE ${ref}`, spec.comment)));
    for (const c of spec.columns) {
      if (c.comment) out.push(ddl(actionId(ctx, `comment.${c.name}`), commentSql(`COLUMN ${ref}.${ident(c.name)}`, c.comment)));
    }
    return out;
  },

  complete() {
    return [];
  },

  rollback(spec, ctx) {
    return [ddl(actionId(ctx, 'drop'), `DROP TABLE IF EXISTS ${qualified(ctx.model.schema, spec.name)}`, STAGE.drop)];
  },
};

/** `serial` and friends are not types a variable can have; the model keeps what the column holds. */
export function storedType(type: string): string {
  const t = type.trim().toLowerCase();
  return t === 'serial' || t === 'serial4' ? 'integer' : t === 'bigserial' || t === 'serial8' ? 'bigint' : t === 'smallserial' || t === 'serial2' ? 'smallint' : type;
}

function primaryKey(spec: Spec): string[] {
  const fromColumns = spec.columns.filter((c) => c.pk).map((c) => c.name);
  return fromColumns.length ? fromColumns : ((spec.constraints ?? []).find((k) => k.type === 'primary_key')?.columns ?? []);
}

/** A table-level constraint inside CREATE TABLE. */
export function constraintDefinition(ctx: OpContext, table: string, k: TableConstraintSpec): string {
  const cols = (k.columns ?? []).map(ident).join(', ');
  const params = indexParameters(k.index_parameters);
  const head = `CONSTRAINT ${ident(k.name)}`;
  switch (k.type) {
    case 'primary_key':
      return `${head} PRIMARY KEY (${cols})${params}${deferrable(k)}`;
    case 'unique':
      return `${head} UNIQUE${k.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''} (${cols})${params}${deferrable(k)}`;
    case 'check':
      return `${head} CHECK (${k.check})${k.no_inherit ? ' NO INHERIT' : ''}`;
    case 'foreign_key': {
      const r = k.references!;
      const target = foreignColumns(ctx, r.table, r.columns, table);
      return `${head} FOREIGN KEY (${cols}) REFERENCES ${target.table} (${target.columns.join(', ')})${fkActions({ ...r, deferrable: k.deferrable, initially_deferred: k.initially_deferred })}`;
    }
    case 'exclude': {
      const e = k.exclude!;
      const using = e.index_method ? ` USING ${e.index_method}` : '';
      const where = e.predicate ? ` WHERE (${e.predicate})` : '';
      return `${head} EXCLUDE${using} (${e.elements})${params}${where}${deferrable(k)}`;
    }
  }
}

