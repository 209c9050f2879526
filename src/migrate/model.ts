/**
 * The schema as a migration sees it: tables and columns with a visible name
 * (what a version's views show) and a physical name (what the table holds).
 * Read from the catalog once, then each operation folds it forward.
 *
 * Fields marked optional are absent from state saved by older versions (the
 * snapshot of an in-progress migration is replanned at complete/rollback).
 */
import type pg from 'pg';

export interface ColumnModel {
  name: string;
  physical: string;
  type: string;
  nullable: boolean;
  default: string | null;
  comment?: string | null;
  /** 'a' (ALWAYS) or 'd' (BY DEFAULT) for identity columns. */
  identity?: string;
  /** True for GENERATED ... STORED columns. */
  generated?: boolean;
  /** The sequence this column owns (serial), qualified and quoted. */
  sequence?: string | null;
  /** Set when an operation in this migration already changed the column. */
  changed?: boolean;
}

/** A non-primary-key index. */
export interface IndexModel {
  name: string;
  /** Physical column names, in key order (expression keys left out). */
  columns: string[];
  /** Every physical column the index depends on: keys, expressions and predicate. */
  uses?: string[];
  unique: boolean;
  /** The unique (or exclusion) constraint the index backs, if any. */
  constraint: string | null;
  /** pg_get_indexdef output. */
  definition: string;
}

export interface ConstraintModel {
  name: string;
  /** pg_constraint.contype: c check, f foreign key, u unique, p primary key, x exclusion. */
  type: string;
  /** Physical column names. */
  columns: string[];
  /** pg_get_constraintdef output. */
  definition: string;
  validated: boolean;
}

/** A foreign key on another table (or this one) that references this table. */
export interface IncomingForeignKey {
  name: string;
  /** The referencing table. */
  table: string;
  /** Physical columns of this table that are referenced. */
  columns: string[];
}

export interface TableModel {
  name: string;
  physical: string;
  columns: ColumnModel[];
  /** Physical names of the primary key columns; empty when there is none. */
  primaryKey: string[];
  /** Constraint names (existence checks). */
  constraints: string[];
  constraintDefs?: ConstraintModel[];
  referencedBy?: IncomingForeignKey[];
  indexes?: IndexModel[];
  comment?: string | null;
  /** pg_class.relreplident (d, n, f, i) and the index for 'i'. */
  replicaIdentity?: { type: string; index: string | null };
  /** Created or renamed by this migration (it is renamed at most once). */
  renamed?: boolean;
  /** Created by this migration: only the new version can see it, so it changes in place. */
  created?: boolean;
}

export interface SchemaModel {
  schema: string;
  tables: TableModel[];
  /** Every relation name in the schema (indexes included): new names must avoid them. */
  relations: string[];
  indexes: string[];
}

export function findTable(model: SchemaModel, name: string): TableModel | undefined {
  return model.tables.find((t) => t.name === name);
}

export function findColumn(table: TableModel, name: string): ColumnModel | undefined {
  return table.columns.find((c) => c.name === name);
}

/** A deep copy, so folding an operation never mutates the model before it. */
export function cloneModel(model: SchemaModel): SchemaModel {
  return structuredClone(model);
}

/** Replaces one table (by visible name) with a modified copy. */
export function withTable(model: SchemaModel, name: string, edit: (t: TableModel) => TableModel): SchemaModel {
  const next = cloneModel(model); // a deep copy: the table handed to `edit` is already its own
  next.tables = next.tables.map((t) => (t.name === name ? edit(t) : t));
  return next;
}

export async function readSchema(client: pg.ClientBase, schema: string): Promise<SchemaModel> {
  const tables = await client.query<{ name: string; comment: string | null; replident: string; replindex: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment, c.relreplident AS replident,
            (SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident) AS replindex
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
    [schema],
  );
  const columns = await client.query<{
    table: string; name: string; type: string; notnull: boolean; def: string | null; comment: string | null; identity: string; generated: string; seq: string | null;
  }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS def,
            col_description(c.oid, a.attnum) AS comment, a.attidentity AS identity, a.attgenerated AS generated,
            pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) AS seq
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const pks = await client.query<{ table: string; cols: string[] }>(
    `SELECT c.relname AS table, array_agg(a.attname ORDER BY k.ord)::text[] AS cols
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = $1 AND i.indisprimary GROUP BY c.relname`,
    [schema],
  );
  const cons = await client.query<{ table: string; name: string; type: string; cols: string[]; def: string; validated: boolean; reftable: string | null; refcols: string[] | null }>(
    `SELECT c.relname AS table, k.conname AS name, k.contype AS type, pg_get_constraintdef(k.oid) AS def, k.convalidated AS validated,
            ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY o(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = o.attnum ORDER BY o.ord)::text[] AS cols,
            r.relname AS reftable,
            ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY o(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = o.attnum ORDER BY o.ord)::text[] AS refcols
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class r ON r.oid = k.confrelid
      WHERE n.nspname = $1 ORDER BY k.conname`,
    [schema],
  );
  const rels = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  const idx = await client.query<{ table: string; name: string; cols: string[]; uses: string[]; unique: boolean; constraint: string | null; def: string }>(
    `SELECT c.relname AS table, i.relname AS name, x.indisunique AS unique, k.conname AS constraint, pg_get_indexdef(x.indexrelid) AS def,
            ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY o(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = o.attnum ORDER BY o.ord)::text[] AS cols,
            ARRAY(SELECT DISTINCT a.attname FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid AND d.refclassid = 'pg_class'::regclass
                     AND d.refobjid = x.indrelid AND d.refobjsubid > 0
                  UNION SELECT a.attname FROM pg_attribute a WHERE a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey::int2[]))::text[] AS uses
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid AND k.contype IN ('u', 'x')
      WHERE n.nspname = $1 AND NOT x.indisprimary ORDER BY i.relname`,
    [schema],
  );
  return {
    schema,
    tables: tables.rows.map((t) => ({
      name: t.name,
      physical: t.name,
      columns: columns.rows
        .filter((c) => c.table === t.name)
        .map((c) => {
          const col: ColumnModel = { name: c.name, physical: c.name, type: c.type, nullable: !c.notnull, default: c.def, comment: c.comment, sequence: c.seq };
          if (c.identity) col.identity = c.identity;
          if (c.generated) col.generated = true;
          return col;
        }),
      primaryKey: pks.rows.find((p) => p.table === t.name)?.cols ?? [],
      constraints: cons.rows.filter((c) => c.table === t.name).map((c) => c.name),
      constraintDefs: cons.rows
        .filter((c) => c.table === t.name)
        .map((c) => ({ name: c.name, type: c.type, columns: c.cols, definition: c.def, validated: c.validated })),
      referencedBy: cons.rows
        .filter((c) => c.type === 'f' && c.reftable === t.name)
        .map((c) => ({ name: c.name, table: c.table, columns: c.refcols ?? [] })),
      indexes: idx.rows
        .filter((i) => i.table === t.name)
        .map((i) => ({ name: i.name, columns: i.cols, uses: i.uses, unique: i.unique, constraint: i.constraint, definition: i.def })),
      comment: t.comment,
      replicaIdentity: { type: t.replident, index: t.replindex },
    })),
    relations: rels.rows.map((r) => r.name),
    indexes: rels.rows.filter((r) => r.kind === 'i' || r.kind === 'I').map((r) => r.name),
  };
}
