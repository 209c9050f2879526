/**
 * create_constraint: CHECK and FOREIGN KEY go on NOT VALID at start (new rows
 * are checked at once) and are validated at complete without blocking writes;
 * UNIQUE is an index built CONCURRENTLY, attached as a constraint at complete.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { ConstraintAlreadyExistsError, InvalidOperationError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, dropIndexSql, requireColumn, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const createConstraint: Operation<'create_constraint'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    for (const c of spec.columns) requireColumn(ctx, table, c);
    if (table.constraints.includes(spec.name)) throw new ConstraintAlreadyExistsError(ctx.kind, spec.table, spec.name);
    if (spec.type === 'check' && !spec.check) throw new InvalidOperationError(ctx.kind, 'a check constraint needs "check"', 'add check: "<sql expression>"');
    if (spec.type === 'foreign_key') {
      const r = spec.references;
      if (!r) throw new InvalidOperationError(ctx.kind, 'a foreign key needs "references"', 'add references: { table, columns }');
      const target = requireTable(ctx, r.table);
      for (const c of r.columns) requireColumn(ctx, target, c);
      if (r.columns.length !== spec.columns.length) {
        throw new InvalidOperationError(ctx.kind, 'columns and references.columns differ in length', 'list one referenced column per column');
      }
    }
    if (spec.type === 'unique' && ctx.model.relations.includes(spec.name)) {
      throw new ConstraintAlreadyExistsError(ctx.kind, spec.table, spec.name);
    }
  },

  apply(spec, ctx) {
    return withTable(ctx.model, spec.table, (t) => ({ ...t, constraints: [...t.constraints, spec.name] }));
  },

  start(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const ref = tableRef(ctx, table);
    const cols = spec.columns.map((c) => ident(requireColumn(ctx, table, c).physical)).join(', ');
    const name = ident(spec.name);
    if (spec.type === 'unique') {
      return [concurrent(actionId(ctx, 'index'), `CREATE UNIQUE INDEX CONCURRENTLY ${name} ON ${ref} (${cols})`, dropIndexSql(ctx, spec.name))];
    }
    if (spec.type === 'check') {
      return [ddl(actionId(ctx, 'add'), `ALTER TABLE ${ref} ADD CONSTRAINT ${name} CHECK (${spec.check}) NOT VALID`)];
    }
    const r = spec.references!;
    const target = requireTable(ctx, r.table);
    const to = r.columns.map((c) => ident(requireColumn(ctx, target, c).physical)).join(', ');
    const onDelete = r.on_delete ? ` ON DELETE ${r.on_delete}` : '';
    const sql = `ALTER TABLE ${ref} ADD CONSTRAINT ${name} FOREIGN KEY (${cols}) REFERENCES ${tableRef(ctx, target)} (${to})${onDelete} NOT VALID`;
    return [ddl(actionId(ctx, 'add'), sql)];
  },

  complete(spec, ctx) {
    const ref = tableRef(ctx, requireTable(ctx, spec.table));
    const name = ident(spec.name);
    if (spec.type === 'unique') {
      return [ddl(actionId(ctx, 'attach'), `ALTER TABLE ${ref} ADD CONSTRAINT ${name} UNIQUE USING INDEX ${name}`, STAGE.constrain)];
    }
    return [validate(actionId(ctx, 'validate'), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${name}`)];
  },

  rollback(spec, ctx): Action[] {
    if (spec.type === 'unique') return [concurrent(actionId(ctx, 'drop-index'), dropIndexSql(ctx, spec.name))];
    const ref = tableRef(ctx, requireTable(ctx, spec.table));
    return [ddl(actionId(ctx, 'drop'), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(spec.name)}`, STAGE.drop)];
  },
};

