/** `cutover migrate` commands end to end against a real PostgreSQL, and secrets kept out of output. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerMigrateCommand } from '../../src/cli/commands/migrate.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { rmSync } from 'node:fs';
import { MigrationDir } from './support.ts';

/** Runs one command line, capturing what it prints. */
async function cutover(args: string[]): Promise<{ out: string; err: string; error?: { code?: string; message: string } }> {
  const program = new Command('cutover').exitOverride();
  registerMigrateCommand(program);
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    await program.parseAsync(['node', 'cutover', ...args]);
    return { out: out.join('\n'), err: err.join('\n') };
  } catch (e) {
    return { out: out.join('\n'), err: err.join('\n'), error: e as { code?: string; message: string } };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('cutover migrate CLI', () => {
  let pgs: TestPostgres;
  const dir = new MigrationDir();

  before(async () => {
    pgs = await startPostgres();
    dir.write('1_users', [{ create_table: { name: 'users', columns: [{ name: 'id', type: 'serial', pk: true }, { name: 'name', type: 'text' }] } }]);
    dir.write('10_rename', [{ rename_column: { table: 'users', from: 'name', to: 'full_name' } }]);
    dir.write('2_email', [{ add_column: { table: 'users', column: { name: 'email', type: 'text', nullable: true } } }]);
  });
  after(async () => {
    await pgs?.stop();
    dir.remove();
  });

  test('start --dir applies migrations in numeric order; status and latest-schema report them', async () => {
    const db = ['--database-url', pgs.url];
    const dry = await cutover(['migrate', 'start', '--dir', dir.path, '--dry-run', ...db]);
    assert.match(dry.out, /dry run: would start 1_users/);
    assert.match(dry.err, /CREATE TABLE "public"."users"/);
    for (const expected of ['1_users', '2_email', '10_rename']) {
      const started = await cutover(['migrate', 'start', '--dir', dir.path, ...db]);
      assert.equal(started.error, undefined, started.error?.message);
      assert.match(started.out, new RegExp(`started ${expected}`));
      const latest = await cutover(['migrate', 'latest-schema', ...db]);
      assert.equal(latest.out.trim(), `cutover_${expected},public`);
      assert.equal((await cutover(['migrate', 'complete', ...db])).out.trim(), `completed ${expected}`);
    }
    const none = await cutover(['migrate', 'start', '--dir', dir.path, ...db]);
    assert.equal(none.error?.code, 'MIGRATION_NONE_PENDING');
    const status = JSON.parse((await cutover(['migrate', 'status', '--json', ...db])).out);
    assert.deepEqual(status.migrations.map((m: { name: string; status: string }) => `${m.name}:${m.status}`), ['1_users:completed', '2_email:completed', '10_rename:completed']);
    const opts = await cutover(['migrate', 'latest-schema', '--pgoptions', ...db]);
    assert.equal(opts.out.trim(), '-c search_path=cutover_10_rename,public -c cutover.version=10_rename');
  });

  test('validate checks the format, prints the warnings, and with a database prepares the expressions', async () => {
    const db = ['--database-url', pgs.url];
    const good = dir.writeText('20_typed.yaml', 'version_schema: typed\noperations:\n  - alter_column: { table: users, column: email, type: varchar(200) }\n');
    const r = await cutover(['migrate', 'validate', good]);
    assert.equal(r.error, undefined, r.error?.message);
    assert.match(r.out, /20_typed\.yaml: valid \(1 operation\)/);
    assert.match(r.out, /warning VERSION_SCHEMA_NAMING: version_schema "typed" names the schema cutover_typed; pgroll would name it public_typed/);
    assert.match(r.out, /warning TYPE_CHANGE_WITHOUT_UP_DOWN: operations\.0 \(alter_column\)/);
    assert.doesNotMatch((await cutover(['migrate', 'validate', good, '--schema-naming', 'pgroll'])).out, /VERSION_SCHEMA_NAMING/);
    const planned = await cutover(['migrate', 'validate', good, ...db]);
    assert.match(planned.out, /20_typed: planned against the database; every up\/down expression prepared \(nothing was changed\)/);

    const badExpr = dir.writeText('21_bad.yaml', 'operations:\n  - alter_column: { table: users, column: email, type: text, up: email, down: mail }\n');
    assert.equal((await cutover(['migrate', 'validate', badExpr])).error, undefined, 'the format alone is fine');
    const refused = await cutover(['migrate', 'validate', badExpr, ...db]);
    assert.equal(refused.error?.code, 'MIGRATION_EXPRESSION_INVALID');
    assert.match(refused.error?.message ?? '', /down: column "mail" does not exist/);

    const badFile = dir.writeText('22_typo.yaml', 'operations:\n  - add_colum: { table: users, column: { name: x, type: text } }\n');
    const invalid = await cutover(['migrate', 'validate', badFile]);
    assert.equal(invalid.error?.code, 'MIGRATION_FILE_INVALID');
    assert.match(invalid.error?.message ?? '', /operations\.0: unknown operation "add_colum"; did you mean "add_column"\?/);
    for (const f of [good, badExpr, badFile]) rmSync(f);
  });

  test("start --schema-naming pgroll names the version schema as pgroll does", async () => {
    const db = ['--database-url', pgs.url];
    const file = dir.write('30_pg_named', [{ add_column: { table: 'users', column: { name: 'age', type: 'integer', nullable: true } } }]);
    const started = await cutover(['migrate', 'start', file, '--schema-naming', 'pgroll', ...db]);
    assert.equal(started.error, undefined, started.error?.message);
    assert.match(started.out, /new version schema: public_30_pg_named/);
    assert.equal((await cutover(['migrate', 'latest-schema', ...db])).out.trim(), 'public_30_pg_named,public');
    assert.equal((await cutover(['migrate', 'complete', ...db])).out.trim(), 'completed 30_pg_named');
    const wrong = await cutover(['migrate', 'start', file, '--schema-naming', 'pgrol', ...db]);
    assert.equal(wrong.error?.code, 'MIGRATION_OPERATION_INVALID');
  });

  test('the database URL and password never appear in errors', async () => {
    const url = 'postgres://app:hunter2-secret@127.0.0.1:1/nowhere';
    const r = await cutover(['migrate', 'status', '--database-url', url]);
    assert.equal(r.error?.code, 'MIGRATION_DATABASE_ERROR');
    const text = `${r.out}\n${r.err}\n${r.error?.message}`;
    assert.equal(text.includes('hunter2-secret'), false);
    assert.equal(text.includes(url), false);
  });

  test('without a database URL the command says how to give one', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      assert.equal((await cutover(['migrate', 'status'])).error?.code, 'MIGRATION_DATABASE_URL_MISSING');
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });
});
