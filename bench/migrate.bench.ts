/**
 * Migration benchmark (`npm run bench migrate`): backfill rows/s at 10k, 100k
 * and 1M rows; write throughput with and without the sync triggers; the
 * longest statement latency concurrent writers see during start and complete.
 * Anchors (pgroll, published): ~10k rows/s backfill at 300k rows, writes
 * 4-4.5x slower with its triggers. Goals: >= 50k rows/s at 1M, <= 2x.
 * Pass `quick` to skip the 1M-row size.
 */
import { cpus, totalmem } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { completeMigration, rollbackMigration, startMigration } from '../src/migrate/index.ts';
import { startPostgres } from '../test/helpers/postgres.ts';

const quick = process.argv.includes('quick');
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
let seq = 0;

function migrationFile(table: string): string {
  const file = join(dir, `${++seq}_${table}_total.json`);
  const op = { alter_column: { table, column: 'amount', name: 'total', type: 'text', up: 'CAST(amount AS text)', down: 'CAST(total AS integer)' } };
  writeFileSync(file, JSON.stringify({ operations: [op] }));
  return file;
}

async function client(url: string, options?: string): Promise<pg.Client> {
  const c = new pg.Client(options ? { connectionString: url, options } : { connectionString: url });
  await c.connect();
  return c;
}

async function createTable(admin: pg.Client, table: string, rows: number): Promise<void> {
  await admin.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, amount integer NOT NULL, note text)`);
  await admin.query(`INSERT INTO ${table} (amount, note) SELECT g, 'row ' || g FROM generate_series(1, ${rows}) g`);
  await admin.query(`VACUUM ANALYZE ${table}`);
}

/** Backfill time is read from the runner's own log lines around the backfill step. */
async function backfill(url: string, admin: pg.Client, rows: number, batchSize: number): Promise<{ rowsPerSec: number; startMs: number }> {
  const table = `bf_${rows}_${batchSize}`;
  await createTable(admin, table, rows);
  let begin = 0;
  let end = 0;
  const log = (m: string) => {
    if (m.includes('backfill') && m.includes('in batches')) begin = performance.now();
    if (m.includes('backfilled')) end = performance.now();
  };
  const t0 = performance.now();
  await startMigration({ databaseUrl: url, file: migrationFile(table), batchSize, log });
  const startMs = performance.now() - t0;
  await rollbackMigration({ databaseUrl: url });
  await admin.query(`DROP TABLE ${table}`);
  return { rowsPerSec: rows / ((end - begin) / 1000), startMs };
}

interface Load {
  ops: number;
  failures: number;
  /** Longest single statement, ms. */
  maxMs: number;
  stop(): Promise<void>;
}

/** `n` clients doing single-row INSERT then UPDATE by id, as fast as they can. */
function writeLoad(clients: pg.Client[], table: string, column: string, encode: (i: number) => unknown): Load {
  let running = true;
  const load: Load = { ops: 0, failures: 0, maxMs: 0, stop: async () => {} };
  const timed = async (c: pg.Client, sql: string, params: unknown[]) => {
    const t = performance.now();
    try {
      const r = await c.query(sql, params);
      load.ops++;
      return r;
    } catch {
      load.failures++;
      return null;
    } finally {
      load.maxMs = Math.max(load.maxMs, performance.now() - t);
    }
  };
  const loops = clients.map(async (c) => {
    for (let i = 1; running; i++) {
      const r = await timed(c, `INSERT INTO ${table} (${column}) VALUES ($1) RETURNING id`, [encode(i)]);
      const id = r?.rows[0]?.id;
      if (id) await timed(c, `UPDATE ${table} SET ${column} = $1 WHERE id = $2`, [encode(i + 1), id]);
    }
  });
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return load;
}

async function throughput(clients: pg.Client[], table: string, column: string, encode: (i: number) => unknown, ms: number): Promise<number> {
  const load = writeLoad(clients, table, column, encode);
  await new Promise((r) => setTimeout(r, ms));
  await load.stop();
  return load.ops / (ms / 1000);
}

async function main(): Promise<void> {
  const pgs = await startPostgres();
  const url = pgs.url;
  const admin = await client(url);
  const out: string[] = [];
  const say = (s: string) => {
    console.log(s);
    out.push(s);
  };
  try {
    const version = (await admin.query('SHOW server_version')).rows[0].server_version as string;
    say(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; PostgreSQL ${version} (fsync=off, synchronous_commit=off, throwaway cluster)`);
    say('');
    say('backfill (alter_column rename + int→text, keyset batches of 5000, one table touch per batch)');
    for (const rows of quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]) {
      const r = await backfill(url, admin, rows, 5000);
      say(`  ${String(rows).padStart(9)} rows: ${Math.round(r.rowsPerSec).toLocaleString('en')} rows/s (whole start ${Math.round(r.startMs)} ms)`);
    }
    say('  anchor: pgroll ~10,000 rows/s at 300k rows; goal >= 50,000 rows/s at 1M');

    // Twin tables: `wt` gets the migration (and its trigger), `wt_plain` never does. Rounds alternate
    // between them so noise from other processes on the machine hits both sides alike.
    await createTable(admin, 'wt', 10_000);
    await createTable(admin, 'wt_plain', 10_000);
    await admin.query('ALTER TABLE wt_plain ADD COLUMN total text');
    const writers = 4;
    const oldClients = await Promise.all(Array.from({ length: writers }, () => client(url)));
    await throughput(oldClients, 'wt_plain', 'amount', (i) => i, 1000); // warm-up
    const file = migrationFile('wt');
    const start = writeLoad(oldClients, 'wt', 'amount', (i) => i);
    const started = await startMigration({ databaseUrl: url, file });
    await start.stop();
    const newClients = await Promise.all(Array.from({ length: writers }, () => client(url, started.pgOptions)));
    let base = 0;
    let withOld = 0;
    let withNew = 0;
    for (let round = 0; round < 6; round++) {
      base += await throughput(oldClients, 'wt_plain', 'amount', (i) => i, 500);
      withOld += await throughput(oldClients, 'wt', 'amount', (i) => i, 500);
      withNew += await throughput(newClients, 'wt', 'total', (i) => String(i), 500);
    }
    base /= 6;
    withOld /= 6;
    withNew /= 6;
    const idle = writeLoad(newClients, 'wt', 'total', (i) => String(i));
    await new Promise((r) => setTimeout(r, 2000));
    await idle.stop();
    const complete = writeLoad(newClients, 'wt', 'total', (i) => String(i));
    await new Promise((r) => setTimeout(r, 200));
    await completeMigration({ databaseUrl: url });
    await new Promise((r) => setTimeout(r, 200));
    await complete.stop();
    for (const c of [...oldClients, ...newClients]) await c.end();

    say('');
    say(`write throughput (${writers} clients, single-row INSERT + UPDATE by id, 6 alternating rounds of 500 ms per side)`);
    say(`  no trigger:               ${Math.round(base).toLocaleString('en')} statements/s`);
    say(`  sync trigger, old client: ${Math.round(withOld).toLocaleString('en')} statements/s (${(base / withOld).toFixed(2)}x slower)`);
    say(`  sync trigger, new client: ${Math.round(withNew).toLocaleString('en')} statements/s (${(base / withNew).toFixed(2)}x slower)`);
    say('  anchor: pgroll 4-4.5x slower with its triggers; goal <= 2x');
    say('');
    say('longest statement seen by concurrent writers (lock_timeout 500 ms)');
    say(`  during start:    ${Math.round(start.maxMs)} ms (${start.failures} failed statements)`);
    say(`  during complete: ${Math.round(complete.maxMs)} ms (${complete.failures} failed statements)`);
    say(`  2 s of plain load (noise floor on this machine): ${Math.round(idle.maxMs)} ms`);
    say('  goal: no writer waits longer than lock_timeout');
  } finally {
    await admin.end();
    await pgs.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
