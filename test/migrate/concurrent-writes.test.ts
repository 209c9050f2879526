/**
 * A rename plus a type change under continuous writes from an old and a new
 * client: zero failed statements and no lost or wrong rows, across start then
 * complete and across start then rollback (pgroll#905/#906).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { completeMigration, latestSchema, rollbackMigration, startMigration } from '../../src/migrate/index.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { MigrationDir, searchPathOptions, versionClient, waitFor } from './support.ts';

/** Inserts and updates its own rows in a loop, remembering what each row should hold. */
class Writer {
  readonly expected = new Map<string, number>();
  readonly failures: string[] = [];
  commits = 0;
  private running = true;
  private done: Promise<void>;

  constructor(
    private readonly client: pg.Client,
    private readonly table: string,
    private readonly column: string,
    private readonly encode: (n: number) => unknown,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let i = 0;
    while (this.running) {
      i++;
      try {
        const r = await this.client.query(`INSERT INTO ${this.table} (${this.column}) VALUES ($1) RETURNING id`, [this.encode(i)]);
        this.expected.set(String(r.rows[0].id), i);
        this.commits++;
        const ids = [...this.expected.keys()];
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        await this.client.query(`UPDATE ${this.table} SET ${this.column} = $1 WHERE id = $2`, [this.encode(i * 7), id]);
        this.expected.set(id, i * 7);
        this.commits++;
      } catch (err) {
        this.failures.push((err as Error).message);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function seed(admin: pg.Client, table: string): Promise<void> {
  await admin.query(`INSERT INTO ${table} (amount) SELECT g FROM generate_series(1, 5000) g`);
}

describe('rename + type change under continuous writes', () => {
  let pgs: TestPostgres;
  let admin: pg.Client;
  const dir = new MigrationDir();
  const clients: pg.Client[] = [];

  before(async () => {
    pgs = await startPostgres();
    admin = await versionClient(pgs.url);
    const base = dir.write('1_tables', [
      { create_table: { name: 'ledger_a', columns: [{ name: 'id', type: 'bigserial', pk: true }, { name: 'amount', type: 'integer', nullable: false }] } },
      { create_table: { name: 'ledger_b', columns: [{ name: 'id', type: 'bigserial', pk: true }, { name: 'amount', type: 'integer', nullable: false }] } },
    ]);
    await startMigration({ databaseUrl: pgs.url, file: base });
    await completeMigration({ databaseUrl: pgs.url });
    await seed(admin, 'ledger_a');
    await seed(admin, 'ledger_b');
  });
  after(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await admin?.end();
    await pgs?.stop();
    dir.remove();
  });

  const migration = (table: string) => [
    { alter_column: { table, column: 'amount', name: 'total', type: 'text', up: 'CAST(amount AS text)', down: 'CAST(total AS integer)' } },
  ];
  const client = async (options: string) => {
    const c = await versionClient(pgs.url, options);
    clients.push(c);
    return c;
  };
  const enoughWrites = (w: Writer, n: number) => waitFor(() => w.commits >= n);

  test('start then complete: the new client writes on through complete', async () => {
    const old = new Writer(await client(searchPathOptions((await latestSchema({ databaseUrl: pgs.url })).searchPath)), 'ledger_a', 'amount', (n) => n);
    assert.ok(await enoughWrites(old, 50));
    const started = await startMigration({ databaseUrl: pgs.url, file: dir.write('2_ledger_a_total', migration('ledger_a')), batchSize: 500 });
    const neu = new Writer(await client(started.pgOptions), 'ledger_a', 'total', (n) => String(n));
    assert.ok(await enoughWrites(neu, 200));
    const oldAtStop = old.commits;
    await old.stop(); // old instances are drained before the contract step
    assert.ok(await enoughWrites(neu, neu.commits + 100));
    await completeMigration({ databaseUrl: pgs.url });
    assert.ok(await enoughWrites(neu, neu.commits + 100));
    await neu.stop();

    assert.deepEqual(old.failures, []);
    assert.deepEqual(neu.failures, []);
    assert.ok(oldAtStop > 50);
    const rows = new Map((await admin.query('SELECT id::text, total FROM ledger_a')).rows.map((r) => [r.id as string, r.total as string]));
    assert.equal(rows.size, 5000 + old.expected.size + neu.expected.size - overlap(old, neu));
    for (const w of [old, neu]) for (const [id, v] of w.expected) assert.equal(rows.get(id), String(v), `row ${id}`);
    for (let id = 1; id <= 5000; id++) {
      if (!old.expected.has(String(id)) && !neu.expected.has(String(id))) assert.equal(rows.get(String(id)), String(id));
    }
  });

  test('start then rollback: the old client writes on through rollback', async () => {
    const old = new Writer(await client(searchPathOptions((await latestSchema({ databaseUrl: pgs.url })).searchPath)), 'ledger_b', 'amount', (n) => n);
    assert.ok(await enoughWrites(old, 50));
    const started = await startMigration({ databaseUrl: pgs.url, file: dir.write('3_ledger_b_total', migration('ledger_b')), batchSize: 500 });
    const neu = new Writer(await client(started.pgOptions), 'ledger_b', 'total', (n) => String(n));
    assert.ok(await enoughWrites(neu, 200));
    await neu.stop(); // the new version is aborted before the rollback
    const before = old.commits;
    await rollbackMigration({ databaseUrl: pgs.url });
    assert.ok(await enoughWrites(old, before + 100));
    await old.stop();

    assert.deepEqual(old.failures, []);
    assert.deepEqual(neu.failures, []);
    const rows = new Map((await admin.query('SELECT id::text, amount FROM ledger_b')).rows.map((r) => [r.id as string, r.amount as number]));
    for (const w of [old, neu]) for (const [id, v] of w.expected) assert.equal(rows.get(id), v, `row ${id}`);
    const cols = await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'ledger_b' ORDER BY ordinal_position`);
    assert.deepEqual(cols.rows.map((r) => r.column_name), ['id', 'amount']);
  });
});

/** Rows both writers track (ids are distinct per insert, so none; kept explicit for the count). */
function overlap(a: Writer, b: Writer): number {
  let n = 0;
  for (const id of a.expected.keys()) if (b.expected.has(id)) n++;
  return n;
}
