/**
 * The schema as a migration sees it: tables and columns with a visible name
 * (what a version's views show) and a physical name (what the table holds).
 * Read from the catalog once, then each operation folds it forward.
 */
import type pg from 'pg';

export interface ColumnModel {
  name: string;
  physical: string;
  type: string;
  nullable: boolean;
  default: string | null;
  /** Set when an operation in this migration already changed the column. */
  changed?: boolean;
}

/** A plain-column index (expression indexes are left out: Cutover does not rewrite them). */
export interface IndexModel {
  name: string;
  /** Physical column names, in key order. */
  columns: string[];
  unique: boolean;
  /** The unique constraint the index backs, if any. */
  constraint: string | null;
  /** pg_get_indexdef output. */
  definition: string;
}

export interface TableModel {
  name: string;
  physical: string;
  columns: ColumnModel[];
  /** Physical names of the primary key columns; empty when there is none. */
  primaryKey: string[];
  constraints: string[];
  /** Non-primary-key indexes; absent in state saved by older versions. */
  indexes?: IndexModel[];
  renamed?: boolean;
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
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
    [schema],
  );
  const columns = await client.query<{ table: string; name: string; type: string; notnull: boolean; def: string | null }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
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
  const cons = await client.query<{ table: string; name: string }>(
    `SELECT c.relname AS table, k.conname AS name FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
    [schema],
  );
  const rels = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  const idx = await client.query<{ table: string; name: string; cols: string[]; unique: boolean; constraint: string | null; def: string }>(
    `SELECT c.relname AS table, i.relname AS name, x.indisunique AS unique, k.conname AS constraint, pg_get_indexdef(x.indexrelid) AS def,
            ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY o(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = o.attnum ORDER BY o.ord)::text[] AS cols
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid AND k.contype = 'u'
      WHERE n.nspname = $1 AND NOT x.indisprimary AND x.indexprs IS NULL AND NOT (0 = ANY (x.indkey::int2[]))`,
    [schema],
  );
  return {
    schema,
    tables: tables.rows.map((t) => ({
      name: t.name,
      physical: t.name,
      columns: columns.rows
        .filter((c) => c.table === t.name)
        .map((c) => ({ name: c.name, physical: c.name, type: c.type, nullable: !c.notnull, default: c.def })),
      primaryKey: pks.rows.find((p) => p.table === t.name)?.cols ?? [],
      constraints: cons.rows.filter((c) => c.table === t.name).map((c) => c.name),
      indexes: idx.rows
        .filter((i) => i.table === t.name)
        .map((i) => ({ name: i.name, columns: i.cols, unique: i.unique, constraint: i.constraint, definition: i.def })),
    })),
    relations: rels.rows.map((r) => r.name),
    indexes: rels.rows.filter((r) => r.kind === 'i' || r.kind === 'I').map((r) => r.name),
  };
}
