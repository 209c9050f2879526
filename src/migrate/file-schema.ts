/**
 * The migration file format (YAML or JSON), in pgroll's vocabulary where it has
 * one. Each operation is a one-key object: `{ add_column: {...} }`.
 */
import { z } from 'zod';

const name = z.string().min(1).max(63);
const sqlExpr = z.string().min(1);

export const checkSchema = z.strictObject({ name, constraint: sqlExpr });
export const referencesSchema = z.strictObject({
  name,
  table: name,
  column: name,
  on_delete: z.enum(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']).optional(),
});

export const columnSchema = z.strictObject({
  name,
  type: z.string().min(1),
  nullable: z.boolean().default(true),
  default: z.string().optional(),
  pk: z.boolean().default(false),
  unique: z.boolean().default(false),
  check: checkSchema.optional(),
  references: referencesSchema.optional(),
});

const ops = {
  create_table: z.strictObject({ name, columns: z.array(columnSchema).min(1) }),
  add_column: z.strictObject({ table: name, column: columnSchema, up: sqlExpr.optional() }),
  alter_column: z.strictObject({
    table: name,
    column: name,
    name: name.optional(),
    type: z.string().min(1).optional(),
    nullable: z.boolean().optional(),
    default: z.string().nullable().optional(),
    unique: z.strictObject({ name }).optional(),
    check: checkSchema.optional(),
    references: referencesSchema.optional(),
    up: sqlExpr.optional(),
    down: sqlExpr.optional(),
  }),
  rename_column: z.strictObject({ table: name, from: name, to: name }),
  drop_column: z.strictObject({ table: name, column: name, down: sqlExpr.optional() }),
  create_index: z.strictObject({
    name,
    table: name,
    columns: z.array(name).min(1),
    unique: z.boolean().default(false),
    method: z.enum(['btree', 'hash', 'gist', 'gin', 'brin', 'spgist']).optional(),
    predicate: sqlExpr.optional(),
  }),
  drop_index: z.strictObject({ name }),
  rename_table: z.strictObject({ from: name, to: name }),
  drop_table: z.strictObject({ name }),
  create_constraint: z.strictObject({
    table: name,
    name,
    type: z.enum(['unique', 'check', 'foreign_key']),
    columns: z.array(name).min(1),
    check: sqlExpr.optional(),
    references: z
      .strictObject({ table: name, columns: z.array(name).min(1), on_delete: referencesSchema.shape.on_delete })
      .optional(),
  }),
  drop_constraint: z.strictObject({ table: name, name }),
  sql: z.strictObject({ up: sqlExpr, down: sqlExpr.optional() }),
};

export type OpKind = keyof typeof ops;
export type OpSpec<K extends OpKind> = z.output<(typeof ops)[K]>;
export type ColumnSpec = z.output<typeof columnSchema>;

/** One operation as parsed: its kind and its fields. */
export type OperationSpec = { [K in OpKind]: { kind: K; spec: OpSpec<K> } }[OpKind];

const operationSchema = z.union(
  (Object.keys(ops) as OpKind[]).map((k) => z.strictObject({ [k]: ops[k] })) as unknown as [
    z.ZodType,
    z.ZodType,
    ...z.ZodType[],
  ],
);

export const migrationFileSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .max(50)
    .optional(),
  operations: z.array(operationSchema).min(1),
});

export interface Migration {
  name: string;
  operations: OperationSpec[];
}

export const OP_KINDS = Object.keys(ops) as OpKind[];

/** Turns `{ add_column: {...} }` into `{ kind: 'add_column', spec: {...} }`. */
export function toOperationSpec(raw: Record<string, unknown>): OperationSpec {
  const [kind, spec] = Object.entries(raw)[0] as [OpKind, unknown];
  return { kind, spec } as OperationSpec;
}
