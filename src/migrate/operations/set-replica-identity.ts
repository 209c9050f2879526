/**
 * set_replica_identity: set at start (it only affects logical replication, not
 * either version's reads or writes), as pgroll; rollback puts back what it was.
 */
import { STAGE, ddl } from '../actions.ts';
import { IndexDoesNotExistError, InvalidOperationError } from '../errors.ts';
import { withTable } from '../model.ts';
import { ident } from '../sql.ts';
import { actionId, requireTable, tableRef } from './common.ts';
import type { Operation } from './types.ts';

export const setReplicaIdentity: Operation<'set_replica_identity'> = {
  validate(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    if (spec.identity.type === 'INDEX') {
      if (!spec.identity.index) throw new InvalidOperationError(ctx.kind, 'identity type "index" needs "index"', 'add index: <name of a unique index on the table>');
      if (!ctx.model.indexes.includes(spec.identity.index)) throw new IndexDoesNotExistError(ctx.kind, spec.identity.index);
    } else if (spec.identity.index) {
      throw new InvalidOperationError(ctx.kind, `"index" applies to identity type "index" only, not "${spec.identity.type.toLowerCase()}"`, 'remove "index"');
    }
    void table;
  },

  apply(spec, ctx) {
    return withTable(ctx.model, spec.table, (t) => ({ ...t, replicaIdentity: { type: spec.identity.type[0]!.toLowerCase(), index: spec.identity.index ?? null } }));
  },

  start(spec, ctx) {
    const ref = tableRef(ctx, requireTable(ctx, spec.table));
    return [ddl(actionId(ctx, 'set'), `ALTER TABLE ${ref} REPLICA IDENTITY ${clause(spec.identity.type, spec.identity.index)}`)];
  },

  complete() {
    return [];
  },

  rollback(spec, ctx) {
    const table = requireTable(ctx, spec.table);
    const before = table.replicaIdentity;
    if (!before) return [];
    const type = { d: 'DEFAULT', n: 'NOTHING', f: 'FULL', i: 'INDEX' }[before.type] ?? 'DEFAULT';
    return [ddl(actionId(ctx, 'restore'), `ALTER TABLE ${tableRef(ctx, table)} REPLICA IDENTITY ${clause(type, before.index ?? undefined)}`, STAGE.drop)];
  },
};

function clause(type: string, index: string | undefined): string {
  return type === 'INDEX' ? `USING INDEX ${ident(index ?? '')}` : type;
}
