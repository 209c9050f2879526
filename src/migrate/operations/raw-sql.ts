/**
 * sql: raw statements. Without `onComplete`, `up` runs at start and `down` at
 * rollback; Cutover cannot see what they do, so such a migration holds nothing
 * else and the new version's views are built from the schema as `up` left it.
 * With `onComplete: true`, `up` runs in complete's transaction, after the
 * migration's other changes (and may sit next to other operations).
 */
import { STAGE, ddl } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import { actionId } from './common.ts';
import type { Operation } from './types.ts';

export const rawSql: Operation<'sql'> = {
  validate(spec, ctx) {
    if (spec.onComplete && spec.down?.trim()) {
      throw new InvalidOperationError(ctx.kind, '"down" cannot be used with "onComplete: true": nothing runs at start, so rollback has nothing to undo', 'remove "down"');
    }
  },

  apply(_spec, ctx) {
    return ctx.model;
  },

  start(spec, ctx) {
    return spec.onComplete ? [] : [ddl(actionId(ctx, 'up'), spec.up)];
  },

  complete(spec, ctx) {
    return spec.onComplete ? [ddl(actionId(ctx, 'on-complete'), spec.up, STAGE.sql)] : [];
  },

  rollback(spec, ctx) {
    return spec.onComplete || !spec.down?.trim() ? [] : [ddl(actionId(ctx, 'down'), spec.down, STAGE.drop)];
  },
};
