/**
 * pgroll's meaning for constraints, indexes and the rest of the vocabulary,
 * each case through start → rollback (catalogs exactly as before) → start →
 * complete with an old- and a new-version writer.
 */
import assert from 'node:assert/strict';
import { columnInfo, columnsOf, constraintsOf, indexesOf, one, rejects, rows, runCases, versionClient, type Case } from './support.ts';

const cases: Case[] = [
  {
    name: 'create_constraint check: up repairs existing rows and old-version writes instead of rejecting them',
    setup: `CREATE TABLE cc2_stock (id serial PRIMARY KEY, qty integer NOT NULL); INSERT INTO cc2_stock (qty) VALUES (5), (-3);`,
    operations: [{ create_constraint: { table: 'cc2_stock', name: 'cc2_qty_nonneg', type: 'check', columns: ['qty'], check: 'qty >= 0', up: { qty: 'greatest(qty, 0)' }, down: { qty: 'qty' } } }],
    async during({ old, neu, admin }) {
      assert.deepEqual((await rows(neu, 'SELECT qty FROM cc2_stock WHERE id <= 2 ORDER BY id')).map((r) => r.qty), [5, 0]);
      assert.equal((await one(old, 'SELECT qty FROM cc2_stock WHERE id = 2')).qty, -3, 'the old version keeps its value');
      const o = await one(old, 'INSERT INTO cc2_stock (qty) VALUES (-7) RETURNING id');
      assert.equal((await one(neu, 'SELECT qty FROM cc2_stock WHERE id = $1', [o.id])).qty, 0);
      await rejects(neu.query('INSERT INTO cc2_stock (qty) VALUES (-1)'), '23514');
      const on = await one(admin, `SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) WHERE k.conname = 'cc2_qty_nonneg'`);
      assert.equal(on.attname, '_cutover_new_qty', 'the constraint is on the new column, not the live one');
      await old.query('DELETE FROM cc2_stock WHERE id = $1', [o.id]);
    },
    async afterComplete({ admin }) {
      assert.equal((await constraintsOf(admin, 'cc2_stock')).cc2_qty_nonneg, 'CHECK ((qty >= 0))');
      assert.equal((await columnInfo(admin, 'cc2_stock', 'qty'))?.nullable, false);
      assert.equal((await one(admin, 'SELECT min(qty) AS m FROM cc2_stock')).m, 0);
    },
  },
  {
    name: 'create_constraint unique and foreign key over two columns, up/down the columns themselves: on the live columns',
    setup: `CREATE TABLE cc3_sellers (name text, zip integer, PRIMARY KEY (name, zip)); INSERT INTO cc3_sellers VALUES ('a', 1);
      CREATE TABLE cc3_tickets (id serial PRIMARY KEY, sname text NOT NULL, szip integer NOT NULL); INSERT INTO cc3_tickets (sname, szip) VALUES ('a', 1);`,
    operations: [
      { create_constraint: { table: 'cc3_tickets', name: 'cc3_uniq', type: 'unique', columns: ['sname', 'szip'], up: { sname: 'sname', szip: 'szip' }, down: { sname: 'sname', szip: 'szip' } } },
      {
        create_constraint: {
          table: 'cc3_tickets', name: 'cc3_fk', type: 'foreign_key', columns: ['sname', 'szip'],
          references: { table: 'cc3_sellers', columns: ['name', 'zip'], on_delete: 'CASCADE' }, up: { sname: 'sname', szip: 'szip' }, down: { sname: 'sname', szip: 'szip' },
        },
      },
    ],
    async during({ old, neu, admin }) {
      assert.deepEqual((await columnsOf(admin, 'cc3_tickets')).filter((c) => c.startsWith('_cutover')), []);
      await rejects(neu.query(`INSERT INTO cc3_tickets (sname, szip) VALUES ('a', 1)`), '23505');
      await rejects(old.query(`INSERT INTO cc3_tickets (sname, szip) VALUES ('b', 2)`), '23503');
    },
    async afterComplete({ admin }) {
      const c = await constraintsOf(admin, 'cc3_tickets');
      assert.equal(c.cc3_uniq, 'UNIQUE (sname, szip)');
      assert.equal(c.cc3_fk, 'FOREIGN KEY (sname, szip) REFERENCES cc3_sellers(name, zip) ON DELETE CASCADE');
    },
  },
  {
    name: 'create_constraint primary_key: up fills NULL keys on the new column',
    setup: `CREATE TABLE cc4_legacy (code text, label text NOT NULL); INSERT INTO cc4_legacy VALUES ('A', 'x'), (NULL, 'y');`,
    operations: [{ create_constraint: { table: 'cc4_legacy', name: 'cc4_legacy_pkey', type: 'primary_key', columns: ['code'], up: { code: `coalesce(code, 'gen-' || label)` }, down: { code: 'code' } } }],
    async during({ old, neu }) {
      assert.deepEqual((await rows(neu, `SELECT code FROM cc4_legacy WHERE label IN ('x', 'y') ORDER BY label`)).map((r) => r.code), ['A', 'gen-y']);
      await old.query(`INSERT INTO cc4_legacy VALUES (NULL, 'z')`);
      assert.equal((await one(neu, `SELECT code FROM cc4_legacy WHERE label = 'z'`)).code, 'gen-z');
      await rejects(neu.query(`INSERT INTO cc4_legacy VALUES ('A', 'dup')`), '23505');
      await rejects(neu.query(`INSERT INTO cc4_legacy VALUES (NULL, 'null key')`), '23514');
      await old.query(`DELETE FROM cc4_legacy WHERE label = 'z'`);
    },
    async afterComplete({ admin }) {
      assert.equal((await constraintsOf(admin, 'cc4_legacy')).cc4_legacy_pkey, 'PRIMARY KEY (code)');
      assert.equal((await columnInfo(admin, 'cc4_legacy', 'code'))?.nullable, false);
    },
  },
  {
    name: 'create_constraint primary_key on a table created by the same migration',
    setup: '',
    operations: [
      { create_table: { name: 'cc5_tasks', columns: [{ name: 'id', type: 'serial' }, { name: 'title', type: 'varchar(255)' }] } },
      { create_constraint: { name: 'cc5_tasks_pkey', table: 'cc5_tasks', columns: ['id'], type: 'primary_key', up: { id: 'id' }, down: { id: 'id' } } },
    ],
    async during({ neu }) {
      await neu.query(`INSERT INTO cc5_tasks (title) VALUES ('t')`);
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await constraintsOf(admin, 'cc5_tasks'), { cc5_tasks_pkey: 'PRIMARY KEY (id)' });
    },
  },
  {
    name: 'drop_constraint with down: the new version writes what the old constraint forbids',
    setup: `CREATE TABLE dc2_posts (id serial PRIMARY KEY, title text NOT NULL CONSTRAINT dc2_title_len CHECK (length(title) > 3)); INSERT INTO dc2_posts (title) VALUES ('hello');`,
    operations: [{ drop_constraint: { table: 'dc2_posts', name: 'dc2_title_len', up: 'title', down: `SELECT CASE WHEN length(title) <= 3 THEN LPAD(title, 4, '-') ELSE title END` } }],
    async during({ old, neu }) {
      const n = await one(neu, `INSERT INTO dc2_posts (title) VALUES ('ab') RETURNING id`);
      assert.equal((await one(old, 'SELECT title FROM dc2_posts WHERE id = $1', [n.id])).title, '--ab');
      assert.equal((await one(neu, 'SELECT title FROM dc2_posts WHERE id = $1', [n.id])).title, 'ab');
      await rejects(old.query(`INSERT INTO dc2_posts (title) VALUES ('ab')`), '23514');
      await rejects(neu.query(`INSERT INTO dc2_posts (title) VALUES (NULL)`), '23502'); // NOT NULL stays
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await constraintsOf(admin, 'dc2_posts'), { dc2_posts_pkey: 'PRIMARY KEY (id)' });
      assert.equal((await columnInfo(admin, 'dc2_posts', 'title'))?.nullable, false);
      await neu.query(`INSERT INTO dc2_posts (title) VALUES ('x')`);
    },
  },
  {
    name: 'drop_constraint of a unique constraint with a down that makes values unique for the old version',
    setup: `CREATE TABLE dc3_reviews (id serial PRIMARY KEY, review text CONSTRAINT dc3_review_unique UNIQUE); INSERT INTO dc3_reviews (review) VALUES ('fine');`,
    operations: [{ drop_constraint: { table: 'dc3_reviews', name: 'dc3_review_unique', up: 'review', down: `review || '-' || id` } }],
    async during({ old, neu }) {
      const n = await one(neu, `INSERT INTO dc3_reviews (review) VALUES ('fine') RETURNING id`);
      assert.equal((await one(old, 'SELECT review FROM dc3_reviews WHERE id = $1', [n.id])).review, `fine-${n.id}`);
      await rejects(old.query(`INSERT INTO dc3_reviews (review) VALUES ('fine')`), '23505');
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await constraintsOf(admin, 'dc3_reviews'), { dc3_reviews_pkey: 'PRIMARY KEY (id)' });
      assert.deepEqual(Object.keys(await indexesOf(admin, 'dc3_reviews')), ['dc3_reviews_pkey']);
      await neu.query(`INSERT INTO dc3_reviews (review) VALUES ('fine')`);
    },
  },
  {
    name: 'drop_multicolumn_constraint with up/down per column',
    setup: `CREATE TABLE dm_tickets (id serial PRIMARY KEY, sname text NOT NULL, szip integer NOT NULL, CONSTRAINT dm_check CHECK (sname = 'alice' OR szip > 0));
      INSERT INTO dm_tickets (sname, szip) VALUES ('bob', 5);`,
    operations: [
      {
        drop_multicolumn_constraint: {
          table: 'dm_tickets', name: 'dm_check', up: { sname: 'sname', szip: 'szip' },
          down: { sname: 'sname', szip: `SELECT CASE WHEN sname <> 'alice' AND szip <= 0 THEN 1 ELSE szip END` },
        },
      },
    ],
    async during({ old, neu }) {
      const n = await one(neu, `INSERT INTO dm_tickets (sname, szip) VALUES ('bob', 0) RETURNING id`);
      assert.deepEqual(await one(old, 'SELECT sname, szip FROM dm_tickets WHERE id = $1', [n.id]), { sname: 'bob', szip: 1 });
      await rejects(old.query(`INSERT INTO dm_tickets (sname, szip) VALUES ('bob', 0)`), '23514');
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await constraintsOf(admin, 'dm_tickets'), { dm_tickets_pkey: 'PRIMARY KEY (id)' });
      assert.equal((await columnInfo(admin, 'dm_tickets', 'szip'))?.nullable, false);
      assert.deepEqual(await columnsOf(admin, 'dm_tickets'), ['id', 'sname', 'szip']);
    },
  },
  {
    name: 'rename_constraint: both versions keep the old name until complete',
    setup: `CREATE TABLE rk_people (id integer PRIMARY KEY, name text CONSTRAINT rk_name_len CHECK (length(name) > 1), code text CONSTRAINT rk_code_key UNIQUE);`,
    operations: [
      { rename_constraint: { table: 'rk_people', from: 'rk_name_len', to: 'rk_name_length' } },
      { rename_constraint: { table: 'rk_people', from: 'rk_code_key', to: 'rk_code_unique' } },
    ],
    async during({ admin, neu }) {
      assert.ok('rk_name_len' in (await constraintsOf(admin, 'rk_people')));
      await rejects(neu.query(`INSERT INTO rk_people VALUES (1, 'x', 'c')`), '23514');
    },
    async afterComplete({ admin }) {
      assert.deepEqual(Object.keys(await constraintsOf(admin, 'rk_people')), ['rk_code_unique', 'rk_name_length', 'rk_people_pkey']);
      assert.ok('rk_code_unique' in (await indexesOf(admin, 'rk_people')), 'the unique index takes the new name too');
    },
  },
  {
    name: 'set_replica_identity: full and using an index; rollback puts back what was there',
    setup: `CREATE TABLE ri_events (id integer PRIMARY KEY, body text); CREATE TABLE ri_keys (id integer PRIMARY KEY, k text NOT NULL); CREATE UNIQUE INDEX ri_keys_k ON ri_keys (k);`,
    operations: [
      { set_replica_identity: { table: 'ri_events', identity: { type: 'full' } } },
      { set_replica_identity: { table: 'ri_keys', identity: { type: 'index', index: 'ri_keys_k' } } },
    ],
    async during({ admin }) {
      assert.equal((await one(admin, `SELECT relreplident FROM pg_class WHERE oid = 'public.ri_events'::regclass`)).relreplident, 'f');
    },
    async afterComplete({ admin }) {
      assert.equal((await one(admin, `SELECT relreplident FROM pg_class WHERE oid = 'public.ri_events'::regclass`)).relreplident, 'f');
      assert.equal((await one(admin, `SELECT indisreplident FROM pg_index WHERE indexrelid = 'public.ri_keys_k'::regclass`)).indisreplident, true);
    },
  },
  {
    name: 'sql with onComplete runs at complete, next to other operations',
    setup: `CREATE TABLE sq_people (id integer PRIMARY KEY);`,
    operations: [
      { add_column: { table: 'sq_people', column: { name: 'nick', type: 'text', nullable: true } } },
      { sql: { up: 'ALTER TABLE sq_people ADD COLUMN birth date', onComplete: true } },
    ],
    async during({ admin }) {
      assert.deepEqual(await columnsOf(admin, 'sq_people'), ['id', 'nick']);
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await columnsOf(admin, 'sq_people'), ['id', 'nick', 'birth']);
    },
  },
  {
    name: 'create_index: column objects, the map form, storage parameters, nulls_not_distinct, opclass',
    setup: `CREATE TABLE ix_fruits (id bigint PRIMARY KEY, name text NOT NULL, price numeric);`,
    operations: [
      { create_index: { name: 'ix_name_desc', table: 'ix_fruits', columns: [{ column: 'name', sort: 'DESC', nulls: 'LAST', collate: 'C' }, { column: 'id' }] } },
      { create_index: { name: 'ix_map', table: 'ix_fruits', columns: { name: { opclass: { name: 'text_pattern_ops' } }, price: { sort: 'desc' } } } },
      { create_index: { name: 'ix_hash', table: 'ix_fruits', columns: ['name'], method: 'hash', storage_parameters: 'fillfactor = 70' } },
      { create_index: { name: 'ix_uniq_price', table: 'ix_fruits', columns: [{ name: 'price' }], unique: true, nulls_not_distinct: true } },
      { create_index: { name: 'ix_opclass', table: 'ix_fruits', columns: [{ column: 'id', opclass: { name: 'int8_ops' } }], predicate: 'id > 10' } },
    ],
    async during({ neu }) {
      await neu.query(`INSERT INTO ix_fruits (id, name) VALUES (1, 'a') ON CONFLICT DO NOTHING`);
      await rejects(neu.query(`INSERT INTO ix_fruits (id, name) VALUES (2, 'b')`), '23505'); // one NULL price only
    },
    async afterComplete({ admin }) {
      const idx = await indexesOf(admin, 'ix_fruits');
      assert.equal(idx.ix_name_desc, 'USING btree (name COLLATE "C" DESC NULLS LAST, id)');
      assert.equal(idx.ix_map, 'USING btree (name text_pattern_ops, price DESC)');
      assert.equal(idx.ix_hash, "USING hash (name) WITH (fillfactor='70')");
      assert.equal(idx.ix_uniq_price, 'UNIQUE USING btree (price) NULLS NOT DISTINCT');
      assert.equal(idx.ix_opclass, 'USING btree (id) WHERE (id > 10)');
    },
  },
  {
    name: "version_schema with pgroll's naming: public_<version_schema>, usable as a pgroll app's whole search_path",
    setup: '',
    file: { version_schema: 'vs_products_v2' },
    startOptions: { schemaNaming: 'pgroll' },
    operations: [{ create_table: { name: 'vs_products', columns: [{ name: 'id', type: 'serial', pk: true }, { name: 'name', type: 'text' }] } }],
    async during({ neu, schema, admin }) {
      assert.equal(schema, 'public_vs_products_v2');
      await neu.query(`INSERT INTO vs_products (name) VALUES ('a')`);
      const url = (admin as unknown as { connectionParameters: { user: string; host: string; port: number; database: string } }).connectionParameters;
      const app = await versionClient(`postgres://${url.user}@${url.host}:${url.port}/${url.database}`, '-c search_path=public_vs_products_v2');
      try {
        await app.query(`INSERT INTO vs_products (name) VALUES ('b')`);
      } finally {
        await app.end();
      }
    },
    async afterComplete({ admin }) {
      assert.equal((await one(admin, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'public_vs_products_v2'`)).n, 1);
    },
  },
  {
    name: 'version_schema with the default naming: cutover_<version_schema>',
    setup: '',
    file: { version_schema: 'vs_next' },
    operations: [{ add_column: { table: 'vs_products', column: { name: 'price', type: 'integer', default: '0' } } }],
    async during({ schema }) {
      assert.equal(schema, 'cutover_vs_next');
    },
    async afterComplete({ admin }) {
      assert.equal((await one(admin, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'public_vs_products_v2'`)).n, 0, 'complete drops the previous version schema');
    },
  },
];

runCases("pgroll's meaning for constraints, indexes and the rest: start → rollback → start → complete", cases);
