/** The contract every operation file implements. */
import type { Action } from '../actions.ts';
import type { OpKind, OpSpec } from '../file-schema.ts';
import type { SchemaModel } from '../model.ts';

export interface OpContext {
  /** Position in the migration; keeps generated names and action ids unique. */
  index: number;
  kind: OpKind;
  migration: string;
  /** Schema of the new version's views. */
  versionSchema: string;
  /** The schema as it is before this operation (new-version shape, physical names). */
  model: SchemaModel;
}

/**
 * An SQL expression from the file, checked at start before anything changes:
 * it is prepared against a row of `columns` (named as the version sees them).
 */
export interface ExpressionCheck {
  /** The field it came from: `up`, `down`, `up.sellers_zip`, `column.default`, ... */
  field: string;
  sql: string;
  /** The table the row belongs to (visible name, for messages). */
  table: string;
  columns: { name: string; type: string }[];
  /** Whose columns these are, for messages: the old or the new version's. */
  shape: 'old' | 'new';
  /** What the expression computes, for messages. */
  purpose: string;
}

export interface Operation<K extends OpKind> {
  /** Throws a typed error naming the problem; checked against the live schema before anything runs. */
  validate(spec: OpSpec<K>, ctx: OpContext): void;
  /** The schema after this operation, as the new version sees it. */
  apply(spec: OpSpec<K>, ctx: OpContext): SchemaModel;
  /** Expand: additive changes, sync triggers, backfills. */
  start(spec: OpSpec<K>, ctx: OpContext): Action[];
  /** Contract: drop what the old version needed, move shadows into place, validate. */
  complete(spec: OpSpec<K>, ctx: OpContext): Action[];
  /** Undo start; every step is idempotent so a half-done start can be undone too. */
  rollback(spec: OpSpec<K>, ctx: OpContext): Action[];
  /** The file's SQL expressions this operation evaluates per row, to prepare at start. */
  expressions?(spec: OpSpec<K>, ctx: OpContext): ExpressionCheck[];
}
