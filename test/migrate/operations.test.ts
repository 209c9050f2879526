/**
 * Every operation goes through start → rollback → start → complete on a real
 * PostgreSQL, with an old-version and a new-version client reading and writing
 * through their own schemas in between; start → rollback must leave the
 * catalogs exactly as they were (support.ts runs the cases).
 */
import assert from 'node:assert/strict';
import { columnsOf, exists, rejects, rows, runCases, type Case } from './support.ts';

const columns = columnsOf;

let addColumnRuns = 0;

const cases: Case[] = [
  {
    name: 'create_table',
    setup: '',
    operations: [{ create_table: { name: 'ct_items', columns: [{ name: 'id', type: 'serial', pk: true }, { name: 'label', type: 'text', nullable: false, default: "'none'" }] } }],
    async during({ neu, schema }) {
      await neu.query(`INSERT INTO ct_items (label) VALUES ('a')`);
      assert.deepEqual(await rows(neu, 'SELECT label FROM ct_items'), [{ label: 'a' }]);
      await neu.query('INSERT INTO ct_items DEFAULT VALUES');
      assert.equal((await rows(neu, `SELECT count(*)::int AS n FROM ct_items WHERE label = 'none'`))[0].n, 1);
      assert.ok(await exists(neu, `${schema}.ct_items`));
    },
    async afterRollback({ admin }) {
      assert.equal(await exists(admin, 'public.ct_items'), false);
    },
    async afterComplete({ neu }) {
      await neu.query(`INSERT INTO ct_items (label) VALUES ('b')`);
      assert.equal((await rows(neu, 'SELECT count(*)::int AS n FROM ct_items'))[0].n, 3);
    },
  },
  {
    name: 'add_column',
    setup: `CREATE TABLE ac_users (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO ac_users (name) VALUES ('ann'), ('bob');`,
    operations: [{ add_column: { table: 'ac_users', column: { name: 'email', type: 'text', nullable: false, unique: true }, up: "name || '@example.com'" } }],
    async during({ old, neu }) {
      assert.deepEqual(await rows(neu, 'SELECT name, email FROM ac_users ORDER BY id LIMIT 2'), [
        { name: 'ann', email: 'ann@example.com' },
        { name: 'bob', email: 'bob@example.com' },
      ]);
      const run = ++addColumnRuns;
      await old.query(`INSERT INTO ac_users (name) VALUES ($1)`, [`old${run}`]);
      assert.deepEqual(await rows(neu, `SELECT email FROM ac_users WHERE name = $1`, [`old${run}`]), [{ email: `old${run}@example.com` }]);
      await neu.query(`INSERT INTO ac_users (name, email) VALUES ($1, $2)`, [`new${run}`, `n${run}@x.io`]);
      assert.deepEqual(await rows(old, `SELECT name FROM ac_users WHERE name = $1`, [`new${run}`]), [{ name: `new${run}` }]);
      assert.deepEqual(await rows(neu, `SELECT email FROM ac_users WHERE name = $1`, [`new${run}`]), [{ email: `n${run}@x.io` }]);
      await rejects(neu.query(`INSERT INTO ac_users (name, email) VALUES ('dup', $1)`, [`n${run}@x.io`]), '23505');
      await rejects(neu.query(`INSERT INTO ac_users (name) VALUES ('nomail')`), '23514');
    },
    async afterRollback({ admin, old }) {
      assert.deepEqual(await columns(admin, 'ac_users'), ['id', 'name']);
      assert.equal((await rows(old, 'SELECT count(*)::int AS n FROM ac_users'))[0].n, 4);
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await columns(admin, 'ac_users'), ['id', 'name', 'email']);
      const nn = await rows(admin, `SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'ac_users' AND column_name = 'email'`);
      assert.equal(nn[0].is_nullable, 'NO');
      assert.equal((await rows(neu, `SELECT count(*)::int AS n FROM ac_users WHERE email IS NULL`))[0].n, 0);
    },
  },
  {
    name: 'alter_column',
    setup: `CREATE TABLE al_prices (id serial PRIMARY KEY, price text); INSERT INTO al_prices (price) VALUES ('10'), ('20');`,
    operations: [
      {
        alter_column: {
          table: 'al_prices', column: 'price', name: 'price_cents', type: 'integer', nullable: false,
          up: 'coalesce(CAST(price AS integer), 0) * 100', down: 'CAST(price_cents / 100 AS text)',
          check: { name: 'price_cents_positive', constraint: 'price_cents >= 0' },
        },
      },
    ],
    async during({ old, neu }) {
      assert.deepEqual(await rows(neu, 'SELECT price_cents FROM al_prices ORDER BY id LIMIT 2'), [{ price_cents: 1000 }, { price_cents: 2000 }]);
      const o = await rows(old, `INSERT INTO al_prices (price) VALUES ('5') RETURNING id`);
      assert.deepEqual(await rows(neu, 'SELECT price_cents FROM al_prices WHERE id = $1', [o[0].id]), [{ price_cents: 500 }]);
      const n = await rows(neu, `INSERT INTO al_prices (price_cents) VALUES (700) RETURNING id`);
      assert.deepEqual(await rows(old, 'SELECT price FROM al_prices WHERE id = $1', [n[0].id]), [{ price: '7' }]);
      await neu.query('UPDATE al_prices SET price_cents = 900 WHERE id = $1', [o[0].id]);
      assert.deepEqual(await rows(old, 'SELECT price FROM al_prices WHERE id = $1', [o[0].id]), [{ price: '9' }]);
      await old.query(`UPDATE al_prices SET price = '3' WHERE id = $1`, [n[0].id]);
      assert.deepEqual(await rows(neu, 'SELECT price_cents FROM al_prices WHERE id = $1', [n[0].id]), [{ price_cents: 300 }]);
      await rejects(neu.query('INSERT INTO al_prices (price_cents) VALUES (-1)'), '23514');
    },
    async afterRollback({ admin, old }) {
      assert.deepEqual(await columns(admin, 'al_prices'), ['id', 'price']);
      assert.deepEqual((await rows(old, 'SELECT price FROM al_prices ORDER BY id')).map((r) => r.price), ['10', '20', '9', '3']);
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await columns(admin, 'al_prices'), ['id', 'price_cents']);
      const t = await rows(admin, `SELECT data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'al_prices' AND column_name = 'price_cents'`);
      assert.deepEqual(t, [{ data_type: 'integer', is_nullable: 'NO' }]);
      assert.deepEqual((await rows(neu, 'SELECT price_cents FROM al_prices ORDER BY id LIMIT 4')).map((r) => r.price_cents), [1000, 2000, 900, 300]);
    },
  },
  {
    name: 'alter_column_without_primary_key',
    setup: `CREATE TABLE np_events (code integer, seen boolean); INSERT INTO np_events SELECT g, true FROM generate_series(1, 3000) g;`,
    operations: [{ alter_column: { table: 'np_events', column: 'code', type: 'bigint', up: 'code::bigint + 1000000', down: '(code - 1000000)::integer' } }],
    async during({ old, neu }) {
      assert.equal((await rows(neu, 'SELECT count(*)::int AS n FROM np_events WHERE code > 1000000'))[0].n >= 3000, true, 'ctid backfill reached every row');
      await old.query('INSERT INTO np_events VALUES (5, false)');
      assert.equal((await rows(neu, 'SELECT code FROM np_events WHERE NOT seen'))[0].code, '1000005');
      await old.query('DELETE FROM np_events WHERE NOT seen');
    },
    async afterRollback({ admin }) {
      assert.deepEqual(await columns(admin, 'np_events'), ['code', 'seen']);
    },
    async afterComplete({ neu }) {
      assert.equal((await rows(neu, 'SELECT min(code)::int AS n FROM np_events'))[0].n, 1000001);
    },
  },
  {
    name: 'alter_column_keeps_indexes',
    setup: `CREATE TABLE ak_codes (id serial PRIMARY KEY, code varchar(10) CONSTRAINT ak_codes_code_key UNIQUE, tag text, level integer NOT NULL DEFAULT 3);
      CREATE INDEX ak_codes_code_tag ON ak_codes (code, tag) WHERE tag IS NOT NULL; INSERT INTO ak_codes (code, tag) VALUES ('a', 't');`,
    operations: [
      { alter_column: { table: 'ak_codes', column: 'code', type: 'text', up: 'upper(code)', down: 'lower(code)' } },
      { alter_column: { table: 'ak_codes', column: 'level', type: 'bigint' } },
    ],
    async during({ neu, old }) {
      const d = await rows(neu, `INSERT INTO ak_codes (code) VALUES ($1) RETURNING level`, [`D${Math.random()}`.slice(0, 8)]);
      assert.deepEqual(d, [{ level: '3' }], 'the old default carries over to the new type');
      await rejects(neu.query(`INSERT INTO ak_codes (code) VALUES ('A')`), '23505');
      await rejects(old.query(`INSERT INTO ak_codes (code) VALUES ('a')`), '23505');
      await neu.query(`INSERT INTO ak_codes (code) VALUES ($1)`, [`B${Math.random()}`.slice(0, 8)]);
    },
    async afterRollback({ admin }) {
      const idx = await rows(admin, `SELECT indexname FROM pg_indexes WHERE tablename = 'ak_codes' ORDER BY 1`);
      assert.deepEqual(idx.map((r) => r.indexname), ['ak_codes_code_key', 'ak_codes_code_tag', 'ak_codes_pkey']);
    },
    async afterComplete({ admin, neu }) {
      const idx = await rows(admin, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ak_codes' ORDER BY 1`);
      assert.deepEqual(idx.map((r) => r.indexname), ['ak_codes_code_key', 'ak_codes_code_tag', 'ak_codes_pkey']);
      assert.match(idx[1].indexdef, /\(code, tag\) WHERE \(tag IS NOT NULL\)/);
      const con = await rows(admin, `SELECT contype FROM pg_constraint WHERE conname = 'ak_codes_code_key'`);
      assert.deepEqual(con, [{ contype: 'u' }]);
      await rejects(neu.query(`INSERT INTO ak_codes (code) VALUES ('A')`), '23505');
    },
  },
  {
    name: 'rename_column',
    setup: `CREATE TABLE rc_posts (id serial PRIMARY KEY, title text); INSERT INTO rc_posts (title) VALUES ('first');`,
    operations: [{ rename_column: { table: 'rc_posts', from: 'title', to: 'headline' } }],
    async during({ old, neu }) {
      await old.query(`INSERT INTO rc_posts (title) VALUES ('from-old')`);
      await neu.query(`INSERT INTO rc_posts (headline) VALUES ('from-new')`);
      assert.deepEqual((await rows(neu, 'SELECT headline FROM rc_posts ORDER BY id')).map((r) => r.headline).slice(0, 3), ['first', 'from-old', 'from-new']);
      assert.deepEqual((await rows(old, 'SELECT title FROM rc_posts ORDER BY id')).map((r) => r.title).slice(0, 3), ['first', 'from-old', 'from-new']);
    },
    async afterRollback({ admin }) {
      assert.deepEqual(await columns(admin, 'rc_posts'), ['id', 'title']);
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await columns(admin, 'rc_posts'), ['id', 'headline']);
      await neu.query(`INSERT INTO rc_posts (headline) VALUES ('after')`);
    },
  },
  {
    name: 'drop_column',
    setup: `CREATE TABLE dc_notes (id serial PRIMARY KEY, body text, legacy text NOT NULL); INSERT INTO dc_notes (body, legacy) VALUES ('b', 'l');`,
    operations: [{ drop_column: { table: 'dc_notes', column: 'legacy', down: "'filled:' || body" } }],
    async during({ old, neu }) {
      const n = await rows(neu, `INSERT INTO dc_notes (body) VALUES ('nb') RETURNING id`);
      assert.deepEqual(await rows(old, 'SELECT legacy FROM dc_notes WHERE id = $1', [n[0].id]), [{ legacy: 'filled:nb' }]);
      await rejects(neu.query('SELECT legacy FROM dc_notes'), '42703');
      await old.query(`INSERT INTO dc_notes (body, legacy) VALUES ('ob', 'ol')`);
    },
    async afterRollback({ admin }) {
      assert.deepEqual(await columns(admin, 'dc_notes'), ['id', 'body', 'legacy']);
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await columns(admin, 'dc_notes'), ['id', 'body']);
      await neu.query(`INSERT INTO dc_notes (body) VALUES ('after')`);
    },
  },
  {
    name: 'create_index',
    setup: `CREATE TABLE ci_accounts (id serial PRIMARY KEY, email text); INSERT INTO ci_accounts (email) VALUES ('a@x');`,
    operations: [{ create_index: { name: 'ci_accounts_email', table: 'ci_accounts', columns: ['email'], unique: true } }],
    async during({ old, admin }) {
      assert.ok(await exists(admin, 'public.ci_accounts_email'));
      await rejects(old.query(`INSERT INTO ci_accounts (email) VALUES ('a@x')`), '23505');
    },
    async afterRollback({ admin, old }) {
      assert.equal(await exists(admin, 'public.ci_accounts_email'), false);
      await old.query(`INSERT INTO ci_accounts (email) VALUES ('dup@x'), ('dup@x')`);
      await old.query(`DELETE FROM ci_accounts WHERE email = 'dup@x'`);
    },
    async afterComplete({ admin }) {
      const valid = await rows(admin, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.ci_accounts_email'::regclass`);
      assert.deepEqual(valid, [{ indisvalid: true }]);
    },
  },
  {
    name: 'drop_index',
    setup: `CREATE TABLE di_logs (id serial PRIMARY KEY, at timestamptz); CREATE INDEX di_logs_at ON di_logs (at);`,
    operations: [{ drop_index: { name: 'di_logs_at' } }],
    async during({ admin }) {
      assert.ok(await exists(admin, 'public.di_logs_at'), 'the old version may still need the index');
    },
    async afterRollback({ admin }) {
      assert.ok(await exists(admin, 'public.di_logs_at'));
    },
    async afterComplete({ admin }) {
      assert.equal(await exists(admin, 'public.di_logs_at'), false);
    },
  },
  {
    name: 'rename_table',
    setup: `CREATE TABLE rt_people (id serial PRIMARY KEY, name text); INSERT INTO rt_people (name) VALUES ('p1');`,
    operations: [{ rename_table: { from: 'rt_people', to: 'rt_persons' } }],
    async during({ old, neu }) {
      await old.query(`INSERT INTO rt_people (name) VALUES ('old')`);
      await neu.query(`INSERT INTO rt_persons (name) VALUES ('new')`);
      assert.deepEqual((await rows(neu, 'SELECT name FROM rt_persons ORDER BY id')).map((r) => r.name).slice(0, 3), ['p1', 'old', 'new']);
      assert.deepEqual((await rows(old, 'SELECT name FROM rt_people ORDER BY id')).map((r) => r.name).slice(0, 3), ['p1', 'old', 'new']);
    },
    async afterRollback({ admin }) {
      assert.ok(await exists(admin, 'public.rt_people'));
      assert.equal(await exists(admin, 'public.rt_persons'), false);
    },
    async afterComplete({ admin, neu }) {
      assert.ok(await exists(admin, 'public.rt_persons'));
      assert.equal(await exists(admin, 'public.rt_people'), false);
      await neu.query(`INSERT INTO rt_persons (name) VALUES ('after')`);
    },
  },
  {
    name: 'drop_table',
    setup: `CREATE TABLE dt_old (id serial PRIMARY KEY);`,
    operations: [{ drop_table: { name: 'dt_old' } }],
    async during({ old, admin, schema }) {
      assert.equal(await exists(admin, `${schema}.dt_old`), false, 'the new version no longer sees the table');
      await old.query('INSERT INTO dt_old DEFAULT VALUES');
    },
    async afterRollback({ admin }) {
      assert.ok(await exists(admin, 'public.dt_old'));
    },
    async afterComplete({ admin }) {
      assert.equal(await exists(admin, 'public.dt_old'), false);
    },
  },
  {
    name: 'create_constraint',
    setup: `CREATE TABLE cc_stock (id serial PRIMARY KEY, qty integer); INSERT INTO cc_stock (qty) VALUES (1);`,
    operations: [{ create_constraint: { table: 'cc_stock', name: 'cc_stock_qty_nonneg', type: 'check', columns: ['qty'], check: 'qty >= 0' } }],
    async during({ old, neu }) {
      await rejects(neu.query('INSERT INTO cc_stock (qty) VALUES (-1)'), '23514');
      await old.query('INSERT INTO cc_stock (qty) VALUES (2)');
    },
    async afterRollback({ old }) {
      await old.query('INSERT INTO cc_stock (qty) VALUES (-5)');
      await old.query('DELETE FROM cc_stock WHERE qty < 0');
    },
    async afterComplete({ admin }) {
      const c = await rows(admin, `SELECT convalidated FROM pg_constraint WHERE conname = 'cc_stock_qty_nonneg'`);
      assert.deepEqual(c, [{ convalidated: true }]);
    },
  },
  {
    name: 'drop_constraint',
    setup: `CREATE TABLE dk_items (id serial PRIMARY KEY, qty integer CONSTRAINT dk_items_qty_pos CHECK (qty > 0));`,
    operations: [{ drop_constraint: { table: 'dk_items', name: 'dk_items_qty_pos' } }],
    async during({ old }) {
      await rejects(old.query('INSERT INTO dk_items (qty) VALUES (0)'), '23514');
    },
    async afterRollback({ admin }) {
      assert.equal((await rows(admin, `SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'dk_items_qty_pos'`))[0].n, 1);
    },
    async afterComplete({ neu }) {
      await neu.query('INSERT INTO dk_items (qty) VALUES (0)');
    },
  },
  {
    name: 'sql',
    setup: '',
    operations: [{ sql: { up: 'CREATE TABLE raw_events (id serial PRIMARY KEY, kind text)', down: 'DROP TABLE raw_events' } }],
    async during({ neu, schema, admin }) {
      assert.ok(await exists(admin, `${schema}.raw_events`), 'views are built from the schema as up left it');
      await neu.query(`INSERT INTO raw_events (kind) VALUES ('k')`);
    },
    async afterRollback({ admin }) {
      assert.equal(await exists(admin, 'public.raw_events'), false);
    },
    async afterComplete({ neu }) {
      assert.equal((await rows(neu, 'SELECT count(*)::int AS n FROM raw_events'))[0].n, 1);
    },
  },
];

runCases('every operation: start → rollback → start → complete', cases);
