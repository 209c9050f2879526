/** drop_index: the old version may still rely on it, so it goes at complete, CONCURRENTLY. */
import { concurrent } from '../actions.ts';
import { IndexDoesNotExistError } from '../errors.ts';
import { cloneModel } from '../model.ts';
import { actionId, dropIndexSql } from './common.ts';
import type { Operation } from './types.ts';

export const dropIndex: Operation<'drop_index'> = {
  validate(spec, ctx) {
    if (!ctx.model.indexes.includes(spec.name)) throw new IndexDoesNotExistError(ctx.kind, spec.name);
  },

  apply(spec, ctx) {
    const next = cloneModel(ctx.model);
    next.indexes = next.indexes.filter((i) => i !== spec.name);
    next.relations = next.relations.filter((r) => r !== spec.name);
    return next;
  },

  start() {
    return [];
  },

  complete(spec, ctx) {
    return [concurrent(actionId(ctx, 'drop'), dropIndexSql(ctx, spec.name))];
  },

  rollback() {
    return [];
  },
};
