/**
 * Backfill: touch every existing row in batches so the sync triggers compute
 * the new columns. Keyset pagination on the primary key keeps each batch an
 * index range scan; tables without one are walked in ctid (page) ranges.
 * Each batch is its own short transaction, so row locks are held briefly.
 */
import type pg from 'pg';
import { ident } from './sql.ts';

export interface BackfillTarget {
  /** Qualified, quoted table name. */
  table: string;
  /** Physical primary key columns; empty for ctid ranges. */
  key: string[];
  /** A column to assign to itself (fires the triggers without changing data). */
  touch: string;
}

type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

export async function backfillTable(query: Query, t: BackfillTarget, opts: { batchSize: number; batchDelayMs: number }): Promise<number> {
  return t.key.length > 0 ? byKey(query, t, opts) : byCtid(query, t, opts);
}

async function byKey(query: Query, t: BackfillTarget, opts: { batchSize: number; batchDelayMs: number }): Promise<number> {
  const keys = t.key.map(ident);
  const tuple = `(${keys.join(', ')})`;
  const batchKeys = keys.map((k) => `b.${k}`);
  const match = keys.map((k) => `t.${k} = b.${k}`).join(' AND ');
  const order = keys.join(', ');
  const last = keys.map((k) => `${k} DESC`).join(', ');
  let after: unknown[] | null = null;
  let total = 0;
  for (;;) {
    const where = after ? `WHERE ${tuple} > (${keys.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const sql = `WITH b AS (SELECT ${order} FROM ${t.table} ${where} ORDER BY ${order} LIMIT ${opts.batchSize}),
      u AS (UPDATE ${t.table} t SET ${ident(t.touch)} = t.${ident(t.touch)} FROM b WHERE ${match} RETURNING 1)
      SELECT (SELECT count(*) FROM u)::int AS n, ${batchKeys.join(', ')} FROM b ORDER BY ${last} LIMIT 1`;
    const r = await query(sql, after ?? []);
    const row = r.rows[0] as Record<string, unknown> | undefined;
    if (!row) return total;
    total += Number(row.n);
    after = t.key.map((k) => row[k]);
    if (opts.batchDelayMs > 0) await new Promise((res) => setTimeout(res, opts.batchDelayMs));
  }
}

async function byCtid(query: Query, t: BackfillTarget, opts: { batchSize: number; batchDelayMs: number }): Promise<number> {
  const size = await query(`SELECT (pg_relation_size('${t.table.replaceAll("'", "''")}') / current_setting('block_size')::int)::int AS pages`);
  const pages = Number(size.rows[0]?.pages ?? 0);
  // About 50 narrow rows fit a page; aim for roughly batchSize rows per range.
  const step = Math.max(1, Math.ceil(opts.batchSize / 50));
  let total = 0;
  for (let from = 0; from < pages; from += step) {
    const sql = `UPDATE ${t.table} SET ${ident(t.touch)} = ${ident(t.touch)} WHERE ctid >= '(${from},0)'::tid AND ctid < '(${from + step},0)'::tid`;
    total += (await query(sql)).rowCount ?? 0;
    if (opts.batchDelayMs > 0) await new Promise((res) => setTimeout(res, opts.batchDelayMs));
  }
  return total;
}
