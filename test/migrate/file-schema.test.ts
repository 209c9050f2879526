/** The migration file format, ordering, and documented error codes (no database needed). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareMigrationNames, parseMigration } from '../../src/migrate/load.ts';
import { MigrationFileError } from '../../src/migrate/errors.ts';

describe('migration files', () => {
  test('numeric prefixes order as numbers, 2_ before 10_', () => {
    const names = ['10_b.yaml', '2_a.yaml', '1_z.json', 'readme.yaml', '002_c.yaml'];
    assert.deepEqual([...names].sort(compareMigrationNames), ['1_z.json', '002_c.yaml', '2_a.yaml', '10_b.yaml', 'readme.yaml']);
  });

  test('YAML and JSON parse to the same migration, named after the file', () => {
    const yaml = `operations:\n  - rename_column: { table: users, from: name, to: full_name }\n`;
    const json = JSON.stringify({ operations: [{ rename_column: { table: 'users', from: 'name', to: 'full_name' } }] });
    const a = parseMigration(yaml, 'migrations/3_rename.yaml');
    const b = parseMigration(json, 'migrations/3_rename.json');
    assert.deepEqual(a, b);
    assert.deepEqual(a, { name: '3_rename', operations: [{ kind: 'rename_column', spec: { table: 'users', from: 'name', to: 'full_name' } }] });
  });

  test("defaults are filled in: a column is NOT NULL unless it says nullable: true (pgroll's default)", () => {
    const m = parseMigration(`operations:\n  - add_column: { table: t, column: { name: c, type: text } }\n`, '1_a.yaml');
    assert.deepEqual(m.operations[0], { kind: 'add_column', spec: { table: 't', column: { name: 'c', type: 'text', nullable: false, pk: false, unique: false } } });
  });

  test('problems are listed with their path', () => {
    const bad = `operations:\n  - add_column: { table: t, column: { name: c } }\n  - frobnicate: {}\n`;
    assert.throws(
      () => parseMigration(bad, '1_bad.yaml'),
      (e: MigrationFileError) => {
        assert.equal(e.code, 'MIGRATION_FILE_INVALID');
        assert.match(e.message, /operations\.0/);
        assert.match(e.message, /operations\.1/);
        return true;
      },
    );
    assert.throws(() => parseMigration('operations: [', '1_bad.yaml'), { code: 'MIGRATION_FILE_INVALID' });
    assert.throws(() => parseMigration('operations: []', '1_empty.yaml'), { code: 'MIGRATION_FILE_INVALID' });
  });

  test('every migrate error code is listed in docs/migrations.md', () => {
    const docs = readFileSync('docs/migrations.md', 'utf8');
    const sources = ['src/migrate', 'src/migrate/operations'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => join(d, f)));
    const codes = sources.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/super\('([A-Z_]+)'/g)].map((m) => m[1]!));
    assert.ok(codes.length > 10);
    for (const code of codes) assert.ok(docs.includes(code), `${code} is not documented`);
  });
});
