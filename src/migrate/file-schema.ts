/**
 * The migration file format (YAML or JSON): pgroll's vocabulary, with pgroll's
 * defaults (a column is NOT NULL unless it says `nullable: true`). Each
 * operation is a one-key object: `{ add_column: {...} }`. Parsing with
 * readable problems is in parse.ts.
 */
import { z } from 'zod';

const name = z.string().min(1).max(63);
const sqlExpr = z.string().min(1);
/** `up`/`down`: an empty string means "not given", as in pgroll. */
const optionalExpr = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s));
/** Per-column `up`/`down` maps (create_constraint, drop_multicolumn_constraint). */
const exprMap = z.record(name, z.string()).optional();

/** Enum fields compare without case (pgroll writes `CASCADE`, people write `cascade`). */
function upperEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase().trim().replace(/\s+/g, ' ') : v), z.enum(values));
}
function lowerEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase().trim() : v), z.enum(values));
}

export const FK_ACTIONS = ['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'] as const;
const fkAction = upperEnum(FK_ACTIONS);
const matchType = upperEnum(['SIMPLE', 'FULL', 'PARTIAL']);

export const checkSchema = z.strictObject({ name, constraint: sqlExpr, no_inherit: z.boolean().optional() });

/** A column-level foreign key: one column referencing one column. */
export const referencesSchema = z.strictObject({
  name,
  table: name,
  column: name,
  on_delete: fkAction.optional(),
  on_update: fkAction.optional(),
  match_type: matchType.optional(),
  deferrable: z.boolean().optional(),
  initially_deferred: z.boolean().optional(),
});

const generatedSchema = z.strictObject({
  expression: sqlExpr.optional(),
  identity: z
    .strictObject({
      user_specified_values: upperEnum(['ALWAYS', 'BY DEFAULT']).optional(),
      sequence_options: z.string().optional(),
    })
    .optional(),
});

export const columnSchema = z.strictObject({
  name,
  type: z.string().min(1),
  /** pgroll's default: NOT NULL unless `nullable: true`. */
  nullable: z.boolean().default(false),
  default: z.string().nullable().optional(),
  pk: z.boolean().default(false),
  unique: z.boolean().default(false),
  check: checkSchema.optional(),
  references: referencesSchema.optional(),
  comment: z.string().nullable().optional(),
  generated: generatedSchema.optional(),
});

/** A table-level foreign key (create_table.constraints, create_constraint). */
const tableReferencesSchema = z.strictObject({
  /** Accepted for pgroll files that repeat the constraint name here; the constraint's own `name` wins. */
  name: name.optional(),
  table: name,
  columns: z.array(name).min(1),
  on_delete: fkAction.optional(),
  on_update: fkAction.optional(),
  match_type: matchType.optional(),
  on_delete_set_columns: z.array(name).optional(),
});

const indexParametersSchema = z.strictObject({
  tablespace: z.string().optional(),
  storage_parameters: z.string().optional(),
  include_columns: z.array(name).optional(),
});

const tableConstraintSchema = z.strictObject({
  name,
  type: lowerEnum(['unique', 'check', 'primary_key', 'foreign_key', 'exclude']),
  columns: z.array(name).optional(),
  check: sqlExpr.optional(),
  nulls_not_distinct: z.boolean().optional(),
  deferrable: z.boolean().optional(),
  initially_deferred: z.boolean().optional(),
  no_inherit: z.boolean().optional(),
  references: tableReferencesSchema.optional(),
  index_parameters: indexParametersSchema.optional(),
  exclude: z
    .strictObject({ index_method: z.string().optional(), elements: sqlExpr, predicate: z.string().optional() })
    .optional(),
});

/** One index element's settings (pgroll's IndexField). */
const indexSettings = {
  collate: z.string().optional(),
  sort: upperEnum(['ASC', 'DESC']).optional(),
  nulls: upperEnum(['FIRST', 'LAST']).optional(),
  opclass: z
    .union([z.string().min(1), z.strictObject({ name: z.string().min(1).optional(), params: z.array(z.string()).optional() })])
    .optional(),
};
const indexElementSchema = z.strictObject({ column: name.optional(), name: name.optional(), ...indexSettings });

export interface IndexColumn {
  column: string;
  collate?: string | undefined;
  sort?: 'ASC' | 'DESC' | undefined;
  nulls?: 'FIRST' | 'LAST' | undefined;
  opclass?: { name?: string | undefined; params?: string[] | undefined } | undefined;
}

const INDEX_COLUMNS_SHAPE = 'a list of column names, a list of {column, collate, sort, nulls, opclass}, or a map of column name to {collate, sort, nulls, opclass}';

/** Index columns in any of pgroll's three shapes, as an ordered list. */
const indexColumnsSchema = z
  .union(
    [
      z.array(z.union([name, indexElementSchema], { error: `each index column is a name or {column, collate, sort, nulls, opclass}` })).min(1),
      z.record(name, z.strictObject(indexSettings).nullable()),
    ],
    { error: `columns must be ${INDEX_COLUMNS_SHAPE}` },
  )
  .transform((v, ctx): IndexColumn[] => {
    const list: IndexColumn[] = [];
    const entries = Array.isArray(v) ? v.map((e) => (typeof e === 'string' ? [e, {}] : [e.column ?? e.name, e])) : Object.entries(v).map(([k, s]) => [k, s ?? {}]);
    for (const [i, [column, s]] of entries.entries()) {
      const settings = s as { collate?: string; sort?: 'ASC' | 'DESC'; nulls?: 'FIRST' | 'LAST'; opclass?: string | { name?: string; params?: string[] }; column?: string; name?: string };
      if (typeof column !== 'string' || (settings.column !== undefined && settings.name !== undefined)) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'name the column with "column" (or "name"), once' });
        continue;
      }
      const opclass = typeof settings.opclass === 'string' ? { name: settings.opclass } : settings.opclass;
      list.push({ column, collate: settings.collate, sort: settings.sort, nulls: settings.nulls, opclass });
    }
    if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'list at least one column' });
    return list;
  });

export const INDEX_METHODS = ['btree', 'hash', 'gist', 'gin', 'brin', 'spgist'] as const;
export const REPLICA_IDENTITIES = ['NOTHING', 'DEFAULT', 'INDEX', 'FULL'] as const;

const ops = {
  create_table: z.strictObject({
    name,
    columns: z.array(columnSchema).min(1),
    constraints: z.array(tableConstraintSchema).optional(),
    comment: z.string().nullable().optional(),
  }),
  add_column: z.strictObject({ table: name, column: columnSchema, up: optionalExpr }),
  alter_column: z.strictObject({
    table: name,
    column: name,
    /** Cutover's own: rename in the same step (pgroll: rename_column). */
    name: name.optional(),
    type: z.string().min(1).optional(),
    nullable: z.boolean().optional(),
    /** `null` drops the default. */
    default: z.string().nullable().optional(),
    /** `null` removes the comment. */
    comment: z.string().nullable().optional(),
    unique: z.strictObject({ name }).optional(),
    check: checkSchema.optional(),
    references: referencesSchema.optional(),
    up: optionalExpr,
    down: optionalExpr,
  }),
  rename_column: z.strictObject({ table: name, from: name, to: name }),
  drop_column: z.strictObject({ table: name, column: name, down: optionalExpr }),
  create_index: z.strictObject({
    name,
    table: name,
    columns: indexColumnsSchema,
    unique: z.boolean().default(false),
    method: lowerEnum(INDEX_METHODS).optional(),
    predicate: z.string().optional(),
    storage_parameters: z.string().optional(),
    nulls_not_distinct: z.boolean().optional(),
  }),
  drop_index: z.strictObject({ name }),
  rename_table: z.strictObject({ from: name, to: name }),
  drop_table: z.strictObject({ name }),
  create_constraint: z.strictObject({
    table: name,
    name,
    type: lowerEnum(['unique', 'check', 'foreign_key', 'primary_key']),
    columns: z.array(name).min(1),
    check: sqlExpr.optional(),
    references: tableReferencesSchema.optional(),
    up: exprMap,
    down: exprMap,
    no_inherit: z.boolean().optional(),
    nulls_not_distinct: z.boolean().optional(),
    deferrable: z.boolean().optional(),
    initially_deferred: z.boolean().optional(),
    index_parameters: indexParametersSchema.optional(),
  }),
  drop_constraint: z.strictObject({
    table: name,
    name,
    /** Older pgroll files name the constraint's column; it must match. */
    column: name.optional(),
    up: optionalExpr,
    down: optionalExpr,
  }),
  drop_multicolumn_constraint: z.strictObject({ table: name, name, up: exprMap, down: exprMap }),
  rename_constraint: z.strictObject({ table: name, from: name, to: name }),
  set_replica_identity: z.strictObject({
    table: name,
    identity: z.strictObject({ type: upperEnum(REPLICA_IDENTITIES), index: name.optional() }),
  }),
  sql: z.strictObject({ up: sqlExpr, down: z.string().optional(), onComplete: z.boolean().optional() }),
};

export const OPERATION_SCHEMAS = ops;
export type OpKind = keyof typeof ops;
export type OpSpec<K extends OpKind> = z.output<(typeof ops)[K]>;
export type ColumnSpec = z.output<typeof columnSchema>;
export type TableConstraintSpec = z.output<typeof tableConstraintSchema>;
export type ReferencesSpec = z.output<typeof referencesSchema>;

/** One operation as parsed: its kind and its fields. */
export type OperationSpec = { [K in OpKind]: { kind: K; spec: OpSpec<K> } }[OpKind];

export const MIGRATION_NAME = /^[A-Za-z0-9_-]+$/;
export const TOP_LEVEL_FIELDS = ['name', 'version_schema', 'operations'] as const;

export interface Migration {
  name: string;
  /** pgroll's `version_schema`: names the version schema instead of the migration name. */
  versionSchema?: string | undefined;
  operations: OperationSpec[];
}

export const OP_KINDS = Object.keys(ops) as OpKind[];
