/** The migration file format, ordering, and documented error codes (no database needed). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareMigrationNames, parseMigration } from '../../src/migrate/load.ts';
import { MigrationFileError } from '../../src/migrate/errors.ts';
import { lintMigration, WARNING_CODES } from '../../src/migrate/lint.ts';

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

  test('problems name the operation, the field and what is allowed there', () => {
    const problems = (text: string) => {
      try {
        parseMigration(text, '1_x.yaml');
      } catch (e) {
        assert.equal((e as MigrationFileError).code, 'MIGRATION_FILE_INVALID');
        return (e as MigrationFileError).fields.problems as string[];
      }
      assert.fail('expected the file to be refused');
    };
    const unknownOp = problems(`operations:\n  - creat_index: { name: i, table: t, columns: [a] }\n`);
    assert.match(unknownOp[0]!, /^operations\.0: unknown operation "creat_index"; did you mean "create_index"\?; allowed: create_table, add_column, .*set_replica_identity, sql$/);
    const unknownField = problems(`operations:\n  - create_index: { name: i, table: t, colums: [a] }\n`);
    assert.ok(unknownField.some((p) => /^operations\.0 \(create_index\): unknown field "colums"; did you mean "columns"\?; allowed: name, table, columns, unique, method, predicate, storage_parameters, nulls_not_distinct$/.test(p)), unknownField.join('\n'));
    assert.ok(unknownField.some((p) => /^operations\.0 \(create_index\)\.columns: columns must be a list of column names, a list of \{column, collate, sort, nulls, opclass\}, or a map/.test(p)), unknownField.join('\n'));
    const badShape = problems(`operations:\n  - create_index: { name: i, table: t, columns: [{ col: a }] }\n`);
    assert.match(badShape.join('\n'), /operations\.0 \(create_index\)\.columns\.0: unknown field "col"; did you mean "column"\?; allowed: column, name, collate, sort, nulls, opclass/);
    assert.match(badShape.join('\n'), /operations\.0 \(create_index\)\.columns\.0: name the column with "column" \(or "name"\), once/);
    const notAColumn = problems(`operations:\n  - create_index: { name: i, table: t, columns: [3] }\n`);
    assert.match(notAColumn.join('\n'), /operations\.0 \(create_index\)\.columns: columns must be a list of column names, a list of \{column, collate, sort, nulls, opclass\}, or a map of column name to \{collate, sort, nulls, opclass\}/);
    const missingType = problems(`operations:\n  - add_column: { table: t, column: { name: c } }\n`);
    assert.deepEqual(missingType, ['operations.0 (add_column).column.type: required (a string)']);
    const badEnum = problems(`operations:\n  - create_index: { name: i, table: t, columns: [a], method: btreee }\n`);
    assert.deepEqual(badEnum, ['operations.0 (create_index).method: must be one of "btree", "hash", "gist", "gin", "brin", "spgist", got "btreee"']);
    const nestedField = problems(`operations:\n  - add_column: { table: t, column: { name: c, type: int, refrences: {} } }\n`);
    assert.match(nestedField[0]!, /^operations\.0 \(add_column\)\.column: unknown field "refrences"; did you mean "references"\?; allowed: name, type, nullable, default, pk, unique, check, references, comment, generated$/);
    assert.deepEqual(problems(`operation:\n  - sql: { up: x }\n`).slice(0, 1), ['(root): unknown field "operation"; did you mean "operations"?; allowed: name, version_schema, operations']);
    assert.match(problems(`operations:\n  - { sql: { up: x }, drop_table: { name: t } }\n`)[0]!, /one operation per list item, found "sql", "drop_table"/);
  });

  test("index columns in each of pgroll's shapes parse to the same ordered list", () => {
    const shapes = [
      `columns: [b, a]`,
      `columns: { b: {}, a: {} }`,
      `columns: [{ column: b }, { name: a }]`,
    ];
    const parsed = shapes.map((c) => parseMigration(`operations:\n  - create_index: { name: i, table: t, ${c} }\n`, '1_i.yaml').operations[0]);
    for (const p of parsed) assert.deepEqual((p?.spec as { columns: { column: string }[] }).columns.map((c) => c.column), ['b', 'a']);
    const settings = parseMigration(`operations:\n  - create_index: { name: i, table: t, columns: { b: { sort: desc, nulls: last, opclass: text_ops, collate: C } } }\n`, '1_i.yaml');
    assert.deepEqual((settings.operations[0]?.spec as { columns: unknown[] }).columns, [{ column: 'b', collate: 'C', sort: 'DESC', nulls: 'LAST', opclass: { name: 'text_ops' } }]);
  });

  test('version_schema and onComplete are read; pgroll files parse unmodified', () => {
    const m = parseMigration(`version_schema: v2\noperations:\n  - sql: { up: "SELECT 1", onComplete: true }\n`, '9_x.yaml');
    assert.deepEqual(m, { name: '9_x', versionSchema: 'v2', operations: [{ kind: 'sql', spec: { up: 'SELECT 1', onComplete: true } }] });
  });

  test('validation warns at each deliberate difference from pgroll', () => {
    const m = parseMigration(
      JSON.stringify({
        version_schema: 'v9',
        operations: [
          { alter_column: { table: 't', column: 'a', name: 'b' } },
          { alter_column: { table: 't', column: 'c', type: 'bigint' } },
          { create_constraint: { table: 't', name: 'k', type: 'check', columns: ['d'], check: 'd > 0' } },
          { drop_constraint: { table: 't', name: 'k2' } },
          { drop_multicolumn_constraint: { table: 't', name: 'k3', down: { x: 'x' } } },
          { create_constraint: { table: 't', name: 'k4', type: 'check', columns: ['e'], check: 'e > 0', up: { e: 'greatest(e, 1)' }, down: { e: 'e' } } },
        ],
      }),
      '1_w.json',
    );
    const w = lintMigration(m).map((x) => `${x.index ?? '-'}:${x.code}`);
    assert.deepEqual(w, [
      '-:VERSION_SCHEMA_NAMING',
      '0:ALTER_COLUMN_RENAME',
      '1:TYPE_CHANGE_WITHOUT_UP_DOWN',
      '2:MISSING_UP_DOWN',
      '2:CONSTRAINT_ON_LIVE_COLUMNS',
      '3:MISSING_UP_DOWN',
      '3:DROP_CONSTRAINT_KEPT_UNTIL_COMPLETE',
      '4:DROP_CONSTRAINT_KEPT_UNTIL_COMPLETE',
    ]);
    assert.deepEqual(lintMigration(m, 'pgroll').filter((x) => x.code === 'VERSION_SCHEMA_NAMING'), []);
    const created = parseMigration(
      JSON.stringify({
        operations: [
          { create_table: { name: 'n', columns: [{ name: 'id', type: 'serial' }] } },
          { create_constraint: { table: 'n', name: 'n_pkey', type: 'primary_key', columns: ['id'], up: { id: 'id' }, down: { id: 'id' } } },
        ],
      }),
      '2_w.json',
    );
    assert.deepEqual(lintMigration(created), [], 'a constraint on a table the migration creates is simply added');
    const docs = readFileSync('docs/migrations.md', 'utf8');
    for (const code of WARNING_CODES) assert.ok(docs.includes(code), `${code} is not documented`);
  });

  test('every migrate error code is listed in docs/migrations.md', () => {
    const docs = readFileSync('docs/migrations.md', 'utf8');
    const sources = ['src/migrate', 'src/migrate/operations'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => join(d, f)));
    const codes = sources.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/super\('([A-Z_]+)'/g)].map((m) => m[1]!));
    assert.ok(codes.length > 10);
    for (const code of codes) assert.ok(docs.includes(code), `${code} is not documented`);
  });
});
