/**
 * pgroll's meaning for columns, each case through start → rollback (catalogs
 * exactly as before) → start → complete with an old- and a new-version writer:
 * NOT NULL unless `nullable: true`, comments, identity and generated columns,
 * table constraints, and alter_column carrying the column's constraints while
 * new-version writes run only `down` and old-version writes only `up`.
 */
import assert from 'node:assert/strict';
import { columnInfo, columnsOf, constraintsOf, indexesOf, one, rejects, rows, runCases, type Case } from './support.ts';

const cases: Case[] = [
  {
    name: 'create_table: NOT NULL unless nullable, comments, identity and generated columns, table constraints',
    setup: `CREATE TABLE ct2_parents (id integer PRIMARY KEY, code text UNIQUE); INSERT INTO ct2_parents VALUES (1, 'p1');`,
    operations: [
      {
        create_table: {
          name: 'ct2_things',
          comment: 'things we keep',
          columns: [
            { name: 'id', type: 'bigint', pk: true, generated: { identity: { user_specified_values: 'BY DEFAULT', sequence_options: 'START WITH 100' } } },
            { name: 'serial_no', type: 'integer', generated: { identity: {} } },
            { name: 'name', type: 'varchar(50)', comment: 'what it is called' },
            { name: 'note', type: 'text', nullable: true },
            { name: 'qty', type: 'integer', default: '1', check: { name: 'ct2_qty_positive', constraint: 'qty > 0' } },
            { name: 'total', type: 'integer', generated: { expression: 'qty * 2' } },
            { name: 'parent_id', type: 'integer', nullable: true, references: { name: 'ct2_parent_fk', table: 'ct2_parents', column: 'id', on_delete: 'cascade', on_update: 'NO ACTION' } },
            { name: 'code', type: 'text', nullable: true, unique: true },
          ],
          constraints: [
            { name: 'ct2_name_note_key', type: 'unique', columns: ['name', 'note'], nulls_not_distinct: true, index_parameters: { include_columns: ['qty'], storage_parameters: 'fillfactor=80' } },
            { name: 'ct2_qty_small', type: 'check', check: 'qty < 1000', no_inherit: true },
            { name: 'ct2_parent_code_fk', type: 'foreign_key', columns: ['code'], references: { table: 'ct2_parents', columns: ['code'], on_delete: 'SET NULL' }, deferrable: true, initially_deferred: true },
            { name: 'ct2_no_same_notes', type: 'exclude', exclude: { index_method: 'btree', elements: 'note WITH =', predicate: 'note IS NOT NULL' } },
          ],
        },
      },
    ],
    async during({ neu }) {
      const r = await one(neu, `INSERT INTO ct2_things (name) VALUES ('a') RETURNING id, serial_no, qty, total`);
      assert.deepEqual(r, { id: '100', serial_no: 1, qty: 1, total: 2 });
      await rejects(neu.query(`INSERT INTO ct2_things (note) VALUES ('no name')`), '23502');
      await rejects(neu.query(`INSERT INTO ct2_things (name, qty) VALUES ('b', 0)`), '23514');
      await rejects(neu.query(`INSERT INTO ct2_things (name, qty) VALUES ('b', 5000)`), '23514');
      await rejects(neu.query(`INSERT INTO ct2_things (name, parent_id) VALUES ('c', 9)`), '23503');
      await rejects(neu.query(`INSERT INTO ct2_things (serial_no, name) VALUES (7, 'd')`), '428C9');
      await neu.query(`INSERT INTO ct2_things (name, note) VALUES ('e', 'same')`);
      await rejects(neu.query(`INSERT INTO ct2_things (name, note) VALUES ('f', 'same')`), '23P01');
      await rejects(neu.query(`INSERT INTO ct2_things (name) VALUES ('a')`), '23505'); // NULLS NOT DISTINCT
    },
    async afterComplete({ admin }) {
      assert.equal((await columnInfo(admin, 'ct2_things', 'name'))?.nullable, false);
      assert.equal((await columnInfo(admin, 'ct2_things', 'note'))?.nullable, true);
      assert.equal((await indexesOf(admin, 'ct2_things')).ct2_name_note_key, "UNIQUE USING btree (name, note) INCLUDE (qty) NULLS NOT DISTINCT WITH (fillfactor='80')");
      assert.equal((await columnInfo(admin, 'ct2_things', 'qty'))?.nullable, false);
      assert.equal((await columnInfo(admin, 'ct2_things', 'name'))?.comment, 'what it is called');
      assert.equal((await one(admin, `SELECT obj_description('public.ct2_things'::regclass, 'pg_class') AS c`)).c, 'things we keep');
      const ident = await rows(admin, `SELECT attname, attidentity, attgenerated FROM pg_attribute WHERE attrelid = 'public.ct2_things'::regclass AND attname IN ('id', 'serial_no', 'total') ORDER BY 1`);
      assert.deepEqual(ident, [
        { attname: 'id', attidentity: 'd', attgenerated: '' },
        { attname: 'serial_no', attidentity: 'a', attgenerated: '' },
        { attname: 'total', attidentity: '', attgenerated: 's' },
      ]);
      assert.deepEqual(await constraintsOf(admin, 'ct2_things'), {
        ct2_name_note_key: 'UNIQUE NULLS NOT DISTINCT (name, note) INCLUDE (qty)',
        ct2_no_same_notes: 'EXCLUDE USING btree (note WITH =) WHERE ((note IS NOT NULL))',
        ct2_parent_code_fk: 'FOREIGN KEY (code) REFERENCES ct2_parents(code) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED',
        ct2_parent_fk: 'FOREIGN KEY (parent_id) REFERENCES ct2_parents(id) ON DELETE CASCADE',
        ct2_qty_positive: 'CHECK ((qty > 0))',
        ct2_qty_small: 'CHECK ((qty < 1000)) NO INHERIT',
        ct2_things_code_key: 'UNIQUE (code)',
        ct2_things_pkey: 'PRIMARY KEY (id)',
      });
    },
  },
  {
    name: 'create_table: primary key and a self-referencing foreign key as table constraints',
    setup: '',
    operations: [
      {
        create_table: {
          name: 'ct3_nodes',
          columns: [{ name: 'id', type: 'integer' }, { name: 'parent', type: 'integer', nullable: true }],
          constraints: [
            { name: 'ct3_pk', type: 'primary_key', columns: ['id'] },
            { name: 'ct3_parent_fk', type: 'foreign_key', columns: ['parent'], references: { table: 'ct3_nodes', columns: ['id'] } },
          ],
        },
      },
    ],
    async during({ neu }) {
      await neu.query('INSERT INTO ct3_nodes VALUES (1, NULL), (2, 1)');
      await rejects(neu.query('INSERT INTO ct3_nodes VALUES (3, 42)'), '23503');
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await constraintsOf(admin, 'ct3_nodes'), { ct3_parent_fk: 'FOREIGN KEY (parent) REFERENCES ct3_nodes(id)', ct3_pk: 'PRIMARY KEY (id)' });
    },
  },
  {
    name: 'add_column: NOT NULL unless nullable, with default, comment, foreign key and check',
    setup: `CREATE TABLE ac2_plans (id integer PRIMARY KEY); INSERT INTO ac2_plans VALUES (1), (2);
      CREATE TABLE ac2_accounts (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO ac2_accounts (name) VALUES ('ann'), ('bob');`,
    operations: [
      { add_column: { table: 'ac2_accounts', column: { name: 'plan_id', type: 'integer', default: '1', comment: 'billing plan', references: { name: 'ac2_plan_fk', table: 'ac2_plans', column: 'id', on_delete: 'RESTRICT' } } } },
      { add_column: { table: 'ac2_accounts', column: { name: 'tier', type: 'text', default: "'free'", check: { name: 'ac2_tier_known', constraint: "tier IN ('free', 'paid')" } } } },
      { add_column: { table: 'ac2_accounts', column: { name: 'nickname', type: 'text', nullable: true } } },
    ],
    async during({ old, neu }) {
      const o = await one(old, `INSERT INTO ac2_accounts (name) VALUES ('old') RETURNING id`);
      assert.deepEqual(await one(neu, 'SELECT plan_id, tier, nickname FROM ac2_accounts WHERE id = $1', [o.id]), { plan_id: 1, tier: 'free', nickname: null });
      await neu.query(`INSERT INTO ac2_accounts (name, plan_id, tier) VALUES ('new', 2, 'paid')`);
      await rejects(neu.query(`INSERT INTO ac2_accounts (name, tier) VALUES ('x', 'gold')`), '23514');
      await rejects(neu.query(`INSERT INTO ac2_accounts (name, plan_id) VALUES ('x', 99)`), '23503');
      await rejects(neu.query(`INSERT INTO ac2_accounts (name, tier) VALUES ('x', NULL)`), '23514');
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await columnInfo(admin, 'ac2_accounts', 'plan_id'), { type: 'integer', nullable: false, default: '1', comment: 'billing plan' });
      assert.equal((await columnInfo(admin, 'ac2_accounts', 'tier'))?.nullable, false);
      assert.equal((await columnInfo(admin, 'ac2_accounts', 'nickname'))?.nullable, true);
      const c = await constraintsOf(admin, 'ac2_accounts');
      assert.equal(c.ac2_plan_fk, 'FOREIGN KEY (plan_id) REFERENCES ac2_plans(id) ON DELETE RESTRICT');
      assert.equal(c.ac2_tier_known, "CHECK ((tier = ANY (ARRAY['free'::text, 'paid'::text])))");
    },
  },
  {
    name: 'add_column with up on a table (with a serial key) created by the same migration',
    setup: '',
    operations: [
      { create_table: { name: 'ac4_notes', columns: [{ name: 'id', type: 'serial', pk: true }, { name: 'body', type: 'text' }] } },
      { add_column: { table: 'ac4_notes', column: { name: 'excerpt', type: 'text' }, up: 'left(body, 10)' } },
    ],
    async during({ neu }) {
      await neu.query(`INSERT INTO ac4_notes (body, excerpt) VALUES ('a long body', 'a long')`);
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await columnsOf(admin, 'ac4_notes'), ['id', 'body', 'excerpt']);
      assert.equal((await columnInfo(admin, 'ac4_notes', 'excerpt'))?.nullable, false);
    },
  },
  {
    name: 'add_column: new-version writes never run up; old-version writes do',
    setup: `CREATE SEQUENCE ac3_seq; CREATE TABLE ac3_items (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO ac3_items (name) VALUES ('a'), ('b');`,
    operations: [{ add_column: { table: 'ac3_items', column: { name: 'tag', type: 'text', nullable: true }, up: `name || '-' || nextval('ac3_seq')` } }],
    async during({ old, neu }) {
      const before = (await one(neu, 'SELECT tag FROM ac3_items WHERE id = 1')).tag as string;
      assert.match(before, /^a-\d+$/);
      await neu.query(`UPDATE ac3_items SET name = 'a' WHERE id = 1`);
      assert.equal((await one(neu, 'SELECT tag FROM ac3_items WHERE id = 1')).tag, before, 'an unrelated new-version update keeps the value');
      const b = (await one(neu, 'SELECT tag FROM ac3_items WHERE id = 2')).tag as string;
      await old.query(`UPDATE ac3_items SET name = 'b' WHERE id = 2`);
      assert.notEqual((await one(neu, 'SELECT tag FROM ac3_items WHERE id = 2')).tag, b, 'an old-version write runs up again (pgroll)');
      const n = await one(neu, `INSERT INTO ac3_items (name, tag) VALUES ('n', NULL) RETURNING id`);
      assert.equal((await one(neu, 'SELECT tag FROM ac3_items WHERE id = $1', [n.id])).tag, null);
    },
    async afterComplete({ admin }) {
      assert.equal((await one(admin, `SELECT count(*)::int AS n FROM ac3_items WHERE tag IS NULL AND name <> 'n'`)).n, 0);
    },
  },
  {
    name: 'alter_column: a new-version UPDATE that leaves the column alone does not recompute it with up',
    setup: `CREATE SEQUENCE al2_seq; CREATE TABLE al2_reviews (id serial PRIMARY KEY, product text NOT NULL, review text);
      INSERT INTO al2_reviews (product, review) VALUES ('p1', 'good'), ('p2', NULL);`,
    operations: [{ alter_column: { table: 'al2_reviews', column: 'review', type: 'varchar(200)', up: `review || '#' || nextval('al2_seq')`, down: 'review' } }],
    async during({ old, neu }) {
      const v1 = (await one(neu, 'SELECT review FROM al2_reviews WHERE id = 1')).review as string;
      assert.match(v1, /^good(#\d+)+$/); // (a second start builds on what the first one's new version wrote)
      await neu.query(`UPDATE al2_reviews SET product = 'p1b' WHERE id = 1`);
      assert.equal((await one(neu, 'SELECT review FROM al2_reviews WHERE id = 1')).review, v1);
      assert.equal((await one(old, 'SELECT review FROM al2_reviews WHERE id = 1')).review, v1, 'down copied the new value to the old column');
      await old.query(`UPDATE al2_reviews SET review = 'x' WHERE id = 2`);
      assert.match((await one(neu, 'SELECT review FROM al2_reviews WHERE id = 2')).review, /^x#\d+$/);
      await neu.query(`UPDATE al2_reviews SET review = 'set by new' WHERE id = 2`);
      assert.equal((await one(old, 'SELECT review FROM al2_reviews WHERE id = 2')).review, 'set by new');
    },
    async afterComplete({ admin, neu }) {
      assert.equal((await columnInfo(admin, 'al2_reviews', 'review'))?.type, 'character varying(200)');
      assert.equal((await one(neu, 'SELECT review FROM al2_reviews WHERE id = 2')).review, 'set by new');
      assert.equal((await columnInfo(admin, 'al2_reviews', 'review'))?.nullable, true);
    },
  },
  {
    name: 'alter_column: a type change keeps the column CHECK and FOREIGN KEY constraints',
    setup: `CREATE TABLE al3_users (id integer PRIMARY KEY); INSERT INTO al3_users VALUES (1), (2);
      CREATE TABLE al3_orders (id serial PRIMARY KEY, user_id integer NOT NULL CONSTRAINT al3_orders_user_fk REFERENCES al3_users (id) ON DELETE CASCADE,
        amount integer CONSTRAINT al3_amount_positive CHECK (amount > 0), qty integer NOT NULL DEFAULT 1, CONSTRAINT al3_amount_covers_qty CHECK (amount >= qty));
      INSERT INTO al3_orders (user_id, amount) VALUES (1, 10), (2, 20);`,
    operations: [
      { alter_column: { table: 'al3_orders', column: 'user_id', type: 'bigint' } },
      { alter_column: { table: 'al3_orders', column: 'amount', type: 'bigint', up: 'amount', down: 'amount' } },
    ],
    async during({ old, neu }) {
      await rejects(neu.query('INSERT INTO al3_orders (user_id, amount) VALUES (99, 5)'), '23503');
      await rejects(neu.query('INSERT INTO al3_orders (user_id, amount) VALUES (1, -5)'), '23514');
      await rejects(neu.query('INSERT INTO al3_orders (user_id, amount, qty) VALUES (1, 2, 3)'), '23514');
      await rejects(old.query('INSERT INTO al3_orders (user_id, amount) VALUES (1, 0)'), '23514');
      await neu.query('INSERT INTO al3_orders (user_id, amount) VALUES (2, 7)');
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await constraintsOf(admin, 'al3_orders'), {
        al3_amount_covers_qty: 'CHECK ((amount >= qty))',
        al3_amount_positive: 'CHECK ((amount > 0))',
        al3_orders_pkey: 'PRIMARY KEY (id)',
        al3_orders_user_fk: 'FOREIGN KEY (user_id) REFERENCES al3_users(id) ON DELETE CASCADE',
      });
      assert.deepEqual(await columnInfo(admin, 'al3_orders', 'user_id'), { type: 'bigint', nullable: false, default: null, comment: null });
      await admin.query('DELETE FROM al3_users WHERE id = 2');
      assert.equal((await one(admin, 'SELECT count(*)::int AS n FROM al3_orders WHERE user_id = 2')).n, 0, 'ON DELETE CASCADE still applies');
    },
  },
  {
    name: 'alter_column: nullable true keeps the old column NOT NULL (down fills it) and its CHECK',
    setup: `CREATE TABLE al4_posts (id serial PRIMARY KEY, title varchar(100) NOT NULL CONSTRAINT al4_title_len CHECK (length(title) > 2)); INSERT INTO al4_posts (title) VALUES ('hello');`,
    operations: [{ alter_column: { table: 'al4_posts', column: 'title', nullable: true, up: 'title', down: `coalesce(title, 'untitled')` } }],
    async during({ old, neu }) {
      const n = await one(neu, 'INSERT INTO al4_posts (title) VALUES (NULL) RETURNING id');
      assert.equal((await one(old, 'SELECT title FROM al4_posts WHERE id = $1', [n.id])).title, 'untitled');
      assert.equal((await one(neu, 'SELECT title FROM al4_posts WHERE id = $1', [n.id])).title, null);
      await rejects(old.query('INSERT INTO al4_posts (title) VALUES (NULL)'), '23502');
      await rejects(neu.query(`INSERT INTO al4_posts (title) VALUES ('x')`), '23514');
    },
    async afterRollback({ admin }) {
      assert.equal((await columnInfo(admin, 'al4_posts', 'title'))?.nullable, false);
    },
    async afterComplete({ admin, neu }) {
      assert.deepEqual(await columnInfo(admin, 'al4_posts', 'title'), { type: 'character varying(100)', nullable: true, default: null, comment: null });
      assert.deepEqual(await constraintsOf(admin, 'al4_posts'), { al4_posts_pkey: 'PRIMARY KEY (id)', al4_title_len: 'CHECK ((length((title)::text) > 2))' });
      await neu.query('INSERT INTO al4_posts (title) VALUES (NULL)');
    },
  },
  {
    name: 'alter_column: default, default null, and a comment alone (no copy of the column)',
    setup: `CREATE TABLE al5_tickets (id serial PRIMARY KEY, kind text NOT NULL DEFAULT 'paper', note text, size text DEFAULT 'm');
      COMMENT ON COLUMN al5_tickets.note IS 'old note'; INSERT INTO al5_tickets DEFAULT VALUES;`,
    operations: [
      { alter_column: { table: 'al5_tickets', column: 'kind', default: "'digital'" } },
      { alter_column: { table: 'al5_tickets', column: 'size', default: null, up: 'size', down: 'size' } },
      { alter_column: { table: 'al5_tickets', column: 'note', comment: 'what to remember', up: 'note', down: 'note' } },
    ],
    async during({ old, neu, admin }) {
      const o = await one(old, 'INSERT INTO al5_tickets DEFAULT VALUES RETURNING id');
      assert.deepEqual(await one(neu, 'SELECT kind, size FROM al5_tickets WHERE id = $1', [o.id]), { kind: 'paper', size: 'm' });
      const n = await one(neu, 'INSERT INTO al5_tickets (note) VALUES (NULL) RETURNING id');
      assert.deepEqual(await one(old, 'SELECT kind, size FROM al5_tickets WHERE id = $1', [n.id]), { kind: 'digital', size: null });
      assert.deepEqual(await columnsOf(admin, 'al5_tickets').then((c) => c.filter((x) => x.startsWith('_cutover'))), ['_cutover_new_kind', '_cutover_new_size']);
    },
    async afterComplete({ admin }) {
      assert.equal((await columnInfo(admin, 'al5_tickets', 'kind'))?.default, "'digital'::text");
      assert.equal((await columnInfo(admin, 'al5_tickets', 'size'))?.default, null);
      assert.equal((await columnInfo(admin, 'al5_tickets', 'note'))?.comment, 'what to remember');
    },
  },
  {
    name: 'alter_column: comment null removes the comment; a serial column keeps its sequence',
    setup: `CREATE TABLE al6_codes (id integer PRIMARY KEY, code serial, label text); COMMENT ON COLUMN al6_codes.label IS 'to remove';
      INSERT INTO al6_codes (id) VALUES (1), (2);`,
    operations: [
      { alter_column: { table: 'al6_codes', column: 'code', type: 'bigint' } },
      { alter_column: { table: 'al6_codes', column: 'label', comment: null } },
    ],
    async during({ old, neu }) {
      const o = await one(old, 'INSERT INTO al6_codes (id) VALUES (10 + (random() * 1000)::int) RETURNING code');
      const n = await one(neu, 'INSERT INTO al6_codes (id) VALUES (2000 + (random() * 1000)::int) RETURNING code');
      assert.ok(Number(n.code) > Number(o.code), 'both versions draw from the one sequence');
    },
    async afterComplete({ admin, neu }) {
      assert.equal((await one(admin, `SELECT pg_get_serial_sequence('public.al6_codes', 'code') AS s`)).s, 'public.al6_codes_code_seq');
      assert.equal((await columnInfo(admin, 'al6_codes', 'code'))?.type, 'bigint');
      assert.equal((await columnInfo(admin, 'al6_codes', 'label'))?.comment, null);
      await neu.query('INSERT INTO al6_codes (id) VALUES (5000)');
    },
  },
  {
    name: 'alter_column: references and check whose up repairs rows instead of rejecting old-version writes',
    setup: `CREATE TABLE al7_users (id integer PRIMARY KEY); INSERT INTO al7_users VALUES (1);
      CREATE TABLE al7_posts (id serial PRIMARY KEY, user_id integer, title text NOT NULL); INSERT INTO al7_posts (user_id, title) VALUES (1, 'hello'), (42, 'hi');`,
    operations: [
      {
        alter_column: {
          table: 'al7_posts', column: 'user_id', references: { name: 'al7_user_fk', table: 'al7_users', column: 'id', on_delete: 'SET NULL' },
          up: 'SELECT CASE WHEN EXISTS (SELECT 1 FROM al7_users WHERE al7_users.id = user_id) THEN user_id ELSE NULL END', down: 'user_id',
        },
      },
      {
        alter_column: {
          table: 'al7_posts', column: 'title', check: { name: 'al7_title_len', constraint: 'length(title) > 3' },
          up: `SELECT CASE WHEN length(title) <= 3 THEN LPAD(title, 4, '-') ELSE title END`, down: 'title',
        },
      },
    ],
    async during({ old, neu }) {
      assert.deepEqual(await one(neu, 'SELECT user_id, title FROM al7_posts WHERE id = 2'), { user_id: null, title: '--hi' });
      const o = await one(old, `INSERT INTO al7_posts (user_id, title) VALUES (77, 'ab') RETURNING id`);
      assert.deepEqual(await one(neu, 'SELECT user_id, title FROM al7_posts WHERE id = $1', [o.id]), { user_id: null, title: '--ab' });
      await rejects(neu.query(`INSERT INTO al7_posts (user_id, title) VALUES (1, 'ab')`), '23514');
      await rejects(neu.query(`INSERT INTO al7_posts (user_id, title) VALUES (5, 'long enough')`), '23503');
    },
    async afterComplete({ admin }) {
      const c = await constraintsOf(admin, 'al7_posts');
      assert.equal(c.al7_user_fk, 'FOREIGN KEY (user_id) REFERENCES al7_users(id) ON DELETE SET NULL');
      assert.equal(c.al7_title_len, 'CHECK ((length(title) > 3))');
      assert.equal((await one(admin, 'SELECT count(*)::int AS n FROM al7_posts WHERE length(title) <= 3')).n, 0);
    },
  },
  {
    name: 'alter_column: expression and partial indexes come along to the new type',
    setup: `CREATE TABLE al8_codes (id serial PRIMARY KEY, code varchar(20) NOT NULL, tag text);
      CREATE INDEX al8_lower ON al8_codes (lower(code)); CREATE INDEX al8_tagged ON al8_codes (id) WHERE code <> '';
      INSERT INTO al8_codes (code) VALUES ('A');`,
    operations: [{ alter_column: { table: 'al8_codes', column: 'code', type: 'text' } }],
    async during({ neu }) {
      await neu.query(`INSERT INTO al8_codes (code) VALUES ('B')`);
    },
    async afterComplete({ admin }) {
      assert.deepEqual(await indexesOf(admin, 'al8_codes'), {
        al8_codes_pkey: 'UNIQUE USING btree (id)',
        al8_lower: 'USING btree (lower(code))',
        al8_tagged: "USING btree (id) WHERE (code <> ''::text)",
      });
    },
  },
  {
    name: 'alter_column: a replica identity index on the column comes along',
    setup: `CREATE TABLE al9_keys (id integer PRIMARY KEY, k varchar(10) NOT NULL); CREATE UNIQUE INDEX al9_k ON al9_keys (k);
      ALTER TABLE al9_keys REPLICA IDENTITY USING INDEX al9_k; INSERT INTO al9_keys VALUES (1, 'a');`,
    operations: [{ alter_column: { table: 'al9_keys', column: 'k', type: 'text' } }],
    async during({ neu }) {
      await rejects(neu.query(`INSERT INTO al9_keys VALUES (2, 'a')`), '23505');
    },
    async afterComplete({ admin }) {
      assert.equal((await one(admin, `SELECT indisreplident FROM pg_index WHERE indexrelid = 'public.al9_k'::regclass`)).indisreplident, true);
      assert.equal((await one(admin, `SELECT relreplident FROM pg_class WHERE oid = 'public.al9_keys'::regclass`)).relreplident, 'i');
    },
  },
];

runCases("pgroll's meaning for columns: start → rollback → start → complete", cases);
