/**
 * sql: raw statements, `up` at start and `down` at rollback. Cutover cannot see
 * what they do, so a raw-SQL migration holds nothing else, and the new
 * version's views are built from the schema as `up` left it.
 */
import { STAGE, ddl } from '../actions.ts';
import { actionId } from './common.ts';
import type { Operation } from './types.ts';

export const rawSql: Operation<'sql'> = {
  validate() {},

  apply(_spec, ctx) {
    return ctx.model;
  },

  start(spec, ctx) {
    return [ddl(actionId(ctx, 'up'), spec.up)];
  },

  complete() {
    return [];
  },

  rollback(spec, ctx) {
    return spec.down === undefined ? [] : [ddl(actionId(ctx, 'down'), spec.down, STAGE.drop)];
  },
};
