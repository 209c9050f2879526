/**
 * What keeps a migration from hurting the application: lock_timeout with retry
 * behind a long transaction, the run lock, self-undoing failed starts,
 * validation against the live schema, and dry runs that change nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { migrationStatus, rollbackMigration, startMigration } from '../../src/migrate/index.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { MigrationDir, versionClient, waitFor } from './support.ts';

describe('migration safety', () => {
  let pgs: TestPostgres;
  let admin: pg.Client;
  const dir = new MigrationDir();
  const clients: pg.Client[] = [];
  const client = async () => {
    const c = await versionClient(pgs.url);
    clients.push(c);
    return c;
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await admin.query(sql, params)).rows[0].n);

  before(async () => {
    pgs = await startPostgres();
    admin = await versionClient(pgs.url);
    await admin.query(`CREATE TABLE busy (id bigserial PRIMARY KEY, v integer NOT NULL);
      INSERT INTO busy (v) SELECT g FROM generate_series(1, 100) g;
      CREATE TABLE dupes (id serial PRIMARY KEY, code text); INSERT INTO dupes (code) VALUES ('x'), ('x');`);
  });
  after(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await admin?.end();
    await pgs?.stop();
    dir.remove();
  });

  test('behind a long transaction, start retries under lock_timeout while writers keep committing', async () => {
    const holder = await client();
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM busy'); // holds ACCESS SHARE until commit
    const writer = await client();
    let commits = 0;
    const failures: string[] = [];
    let running = true;
    const writes = (async () => {
      while (running) {
        await writer.query('INSERT INTO busy (v) VALUES (1)').then(() => commits++, (e: Error) => failures.push(e.message));
      }
    })();
    const log: string[] = [];
    let settled = false;
    const file = dir.write('1_busy_note', [{ add_column: { table: 'busy', column: { name: 'note', type: 'text' }, up: "'n' || v" } }]);
    const started = startMigration({ databaseUrl: pgs.url, file, lockTimeoutMs: 50, log: (m) => log.push(m) }).finally(() => (settled = true));
    try {
      assert.ok(await waitFor(() => log.filter((l) => l.includes('lock not available')).length >= 2), 'start retried');
      const during = commits;
      assert.ok(await waitFor(() => commits >= during + 50), 'writers committed while the migration was retrying');
      assert.equal(settled, false, 'start is still waiting for the long transaction');
    } finally {
      await holder.query('COMMIT');
    }
    const r = await started;
    running = false;
    await writes;
    assert.equal(r.name, '1_busy_note');
    assert.deepEqual(failures, []);
    assert.equal(await count(`SELECT count(*) AS n FROM busy WHERE note IS NULL`), 0, 'backfill and trigger filled every row');
    await rollbackMigration({ databaseUrl: pgs.url });
  });

  test('the advisory lock keeps two runs from overlapping', async () => {
    const file = dir.write('2_busy_flag', [{ add_column: { table: 'busy', column: { name: 'flag', type: 'boolean', default: 'false' } } }]);
    const other = await client();
    await other.query(`SELECT pg_advisory_lock(hashtext('cutover.migrate'))`);
    await assert.rejects(startMigration({ databaseUrl: pgs.url, file }), { code: 'MIGRATION_LOCKED' });
    await other.query(`SELECT pg_advisory_unlock(hashtext('cutover.migrate'))`);

    const results = await Promise.allSettled([startMigration({ databaseUrl: pgs.url, file }), startMigration({ databaseUrl: pgs.url, file })]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(['MIGRATION_LOCKED', 'MIGRATION_IN_PROGRESS'].includes(rejected.reason.code), rejected.reason.code);
    await rollbackMigration({ databaseUrl: pgs.url });
  });

  test('a start that fails half-way undoes itself and leaves nothing in progress', async () => {
    const file = dir.write('3_half', [
      { add_column: { table: 'dupes', column: { name: 'label', type: 'text', nullable: false }, up: "'l' || id" } },
      { create_index: { name: 'dupes_code_key', table: 'dupes', columns: ['code'], unique: true } },
    ]);
    await assert.rejects(startMigration({ databaseUrl: pgs.url, file }), (e: { code?: string; fields?: Record<string, unknown> }) => {
      assert.equal(e.code, 'MIGRATION_START_FAILED');
      assert.equal(e.fields?.step, '1.create_index.create');
      return true;
    });
    const status = await migrationStatus({ databaseUrl: pgs.url });
    assert.equal(status.inProgress, null);
    assert.equal(await count(`SELECT count(*) AS n FROM cutover.migrations WHERE name = '3_half'`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'dupes' AND column_name = 'label'`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = 'dupes'::regclass AND NOT tgisinternal`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'cutover'`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'cutover_3_half'`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_class WHERE relname = 'dupes_code_key'`), 0);
    await admin.query(`INSERT INTO dupes (code) VALUES ('y')`);
  });

  test('validation against the live schema names the problem and changes nothing', async () => {
    const cases: [unknown[], string, Record<string, unknown>][] = [
      [[{ add_column: { table: 'nope', column: { name: 'x', type: 'int' } } }], 'MIGRATION_TABLE_NOT_FOUND', { table: 'nope' }],
      [[{ rename_column: { table: 'busy', from: 'missing', to: 'y' } }], 'MIGRATION_COLUMN_NOT_FOUND', { table: 'busy', column: 'missing' }],
      [[{ add_column: { table: 'busy', column: { name: 'v', type: 'int' } } }], 'MIGRATION_COLUMN_EXISTS', { table: 'busy', column: 'v' }],
      [[{ add_column: { table: 'busy', column: { name: 'w', type: 'int', nullable: false } } }], 'MIGRATION_OPERATION_INVALID', { op: 'add_column' }],
      [[{ drop_index: { name: 'no_such_index' } }], 'MIGRATION_INDEX_NOT_FOUND', { index: 'no_such_index' }],
      [[{ create_table: { name: 'busy', columns: [{ name: 'id', type: 'int' }] } }], 'MIGRATION_TABLE_EXISTS', { table: 'busy' }],
      [[{ drop_constraint: { table: 'busy', name: 'nope' } }], 'MIGRATION_CONSTRAINT_NOT_FOUND', { constraint: 'nope' }],
      [
        [{ rename_column: { table: 'busy', from: 'v', to: 'value' } }, { alter_column: { table: 'busy', column: 'value', type: 'bigint' } }],
        'MIGRATION_OPERATION_INVALID',
        { op: 'alter_column' },
      ],
      [[{ add_column: { table: 'busy', colum: {} } }], 'MIGRATION_FILE_INVALID', {}],
    ];
    for (const [i, [ops, code, fields]] of cases.entries()) {
      const file = dir.write(`4_invalid_${i}`, ops);
      await assert.rejects(startMigration({ databaseUrl: pgs.url, file }), (e: { code?: string; fields?: Record<string, unknown> }) => {
        assert.equal(e.code, code, `case ${i}`);
        for (const [k, v] of Object.entries(fields)) assert.equal(e.fields?.[k], v, `case ${i} field ${k}`);
        return true;
      });
    }
    assert.equal((await migrationStatus({ databaseUrl: pgs.url })).inProgress, null);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'cutover_4_%'`), 0);
  });

  test('up/down are prepared against their row at start: a bad expression is refused before anything changes', async () => {
    await admin.query(`CREATE TABLE exprs (id serial PRIMARY KEY, code text CONSTRAINT exprs_code_len CHECK (length(code) > 1), n integer NOT NULL DEFAULT 0);
      CREATE TABLE parent_keys (id integer PRIMARY KEY, code integer UNIQUE); CREATE TABLE child_rows (id integer PRIMARY KEY, code integer REFERENCES parent_keys (code));`);
    const cases: [unknown[], string, Record<string, unknown>, RegExp][] = [
      [
        [{ alter_column: { table: 'exprs', column: 'code', type: 'varchar(20)', up: 'code', down: 'event_name' } }],
        'MIGRATION_EXPRESSION_INVALID',
        { op: 'alter_column', index: 0, field: 'down', table: 'exprs' },
        /operations\.0 \(alter_column\) down: column "event_name" does not exist; it computes the old "code" from a row written by the new version, and can use the new version's columns of "exprs": id, code, n/,
      ],
      [
        [{ add_column: { table: 'exprs', column: { name: 'label', type: 'text' }, up: 'no_such_function(code)' } }],
        'MIGRATION_EXPRESSION_INVALID',
        { op: 'add_column', field: 'up' },
        /function no_such_function\(text\) does not exist/,
      ],
      [
        [{ create_constraint: { table: 'exprs', name: 'exprs_n_pos', type: 'check', columns: ['n'], check: 'n > 0', up: { n: 'greatest(n, 1, code)' } } }],
        'MIGRATION_EXPRESSION_INVALID',
        { field: 'up.n' },
        /operations\.0 \(create_constraint\) up\.n:/,
      ],
      [
        [{ alter_column: { table: 'exprs', column: 'code', type: 'integer', up: 'length(code)', down: 'code::text' } }],
        'MIGRATION_EXPRESSION_INVALID',
        { field: '(constraint "exprs_code_len" of the column)' },
        /function length\(integer\) does not exist; it computes check constraint "exprs_code_len", which is copied to the new column/,
      ],
      [
        [{ alter_column: { table: 'parent_keys', column: 'code', type: 'bigint' } }],
        'MIGRATION_OPERATION_INVALID',
        { op: 'alter_column' },
        /column "code" of "parent_keys" is referenced by foreign key "child_rows_code_fkey" of "child_rows"/,
      ],
      [
        [{ create_constraint: { table: 'exprs', name: 'exprs_x', type: 'unique', columns: ['n'], up: { code: 'code' } } }],
        'MIGRATION_OPERATION_INVALID',
        { op: 'create_constraint' },
        /up names "code", which is not one of the constraint's columns \(n\)/,
      ],
      [
        [{ drop_constraint: { table: 'exprs', name: 'exprs_code_len', column: 'n' } }],
        'MIGRATION_OPERATION_INVALID',
        { op: 'drop_constraint' },
        /constraint "exprs_code_len" is on "code", not "n"/,
      ],
    ];
    const before = await count(`SELECT count(*) AS n FROM pg_attribute WHERE attrelid = 'exprs'::regclass AND NOT attisdropped`);
    for (const [i, [ops, code, fields, message]] of cases.entries()) {
      const file = dir.write(`7_expr_${i}`, ops);
      await assert.rejects(startMigration({ databaseUrl: pgs.url, file }), (e: { code?: string; message: string; fields?: Record<string, unknown> }) => {
        assert.equal(e.code, code, `case ${i}: ${e.message}`);
        assert.match(e.message, message, `case ${i}`);
        for (const [k, v] of Object.entries(fields)) assert.equal(e.fields?.[k], v, `case ${i} field ${k}`);
        return true;
      });
    }
    assert.equal((await migrationStatus({ databaseUrl: pgs.url })).inProgress, null);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'cutover_7_%'`), 0);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_attribute WHERE attrelid = 'exprs'::regclass AND NOT attisdropped`), before);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = 'exprs'::regclass AND NOT tgisinternal`), 0);
  });

  test('an app that keeps its own search_path picks its version with cutover.version', async () => {
    await admin.query(`CREATE TABLE tagged (id serial PRIMARY KEY, score integer NOT NULL); INSERT INTO tagged (score) VALUES (1);`);
    const file = dir.write('6_tagged_points', [
      { alter_column: { table: 'tagged', column: 'score', name: 'points', type: 'bigint', up: 'score * 10', down: '(points / 10)::integer' } },
    ]);
    const r = await startMigration({ databaseUrl: pgs.url, file });
    // The app's own search_path stays "public"; it names the version's views explicitly.
    const app = await versionClient(pgs.url, '-c search_path=public -c cutover.version=6_tagged_points');
    clients.push(app);
    await app.query(`INSERT INTO ${r.schema}.tagged (points) VALUES (70)`);
    await app.query(`UPDATE ${r.schema}.tagged SET points = 30 WHERE id = 1`);
    const old = await client(); // plain search_path, no version: the old shape
    await old.query('INSERT INTO tagged (score) VALUES (5)');
    assert.deepEqual((await old.query('SELECT score FROM tagged ORDER BY id')).rows.map((x) => x.score), [3, 7, 5]);
    assert.deepEqual((await app.query(`SELECT points FROM ${r.schema}.tagged ORDER BY id`)).rows.map((x) => x.points), ['30', '70', '50']);
    await rollbackMigration({ databaseUrl: pgs.url });
  });

  test('a dry run prints the plan and changes nothing', async () => {
    const file = dir.write('5_dry', [{ alter_column: { table: 'busy', column: 'v', type: 'bigint' } }]);
    const log: string[] = [];
    const r = await startMigration({ databaseUrl: pgs.url, file, dryRun: true, log: (m) => log.push(m) });
    assert.equal(r.schema, 'cutover_5_dry');
    assert.ok(log.some((l) => l.startsWith('[0.alter_column.add-shadow.v] ddl: ALTER TABLE "public"."busy" ADD COLUMN "_cutover_new_v" bigint')), log.join('\n'));
    assert.ok(log.some((l) => l.startsWith('warning TYPE_CHANGE_WITHOUT_UP_DOWN:')), 'deliberate differences from pgroll are reported');
    assert.ok(log.some((l) => l.includes('backfill')));
    assert.equal(await count(`SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'busy' AND column_name = '_cutover_new_v'`), 0);
    assert.equal((await migrationStatus({ databaseUrl: pgs.url })).inProgress, null);
  });
});
