/**
 * Warnings for a migration file: each marks a place where Cutover deliberately
 * does something other than pgroll would with the same file (the table in
 * docs/migrations.md lists them). They never stop a migration; `cutover
 * migrate validate` and `start` print them.
 */
import type { Migration, OperationSpec } from './file-schema.ts';
import { isIdentity } from './operations/shadow.ts';
import type { SchemaNaming } from './versions.ts';

export interface MigrationWarning {
  code: string;
  /** Operation index, or null for the file as a whole. */
  index: number | null;
  message: string;
}

export const WARNING_CODES = [
  'VERSION_SCHEMA_NAMING',
  'ALTER_COLUMN_RENAME',
  'TYPE_CHANGE_WITHOUT_UP_DOWN',
  'MISSING_UP_DOWN',
  'CONSTRAINT_ON_LIVE_COLUMNS',
  'DROP_CONSTRAINT_KEPT_UNTIL_COMPLETE',
] as const;

export function lintMigration(m: Migration, naming: SchemaNaming = 'cutover'): MigrationWarning[] {
  const out: MigrationWarning[] = [];
  if (m.versionSchema !== undefined && naming === 'cutover') {
    out.push({
      code: 'VERSION_SCHEMA_NAMING',
      index: null,
      message: `version_schema "${m.versionSchema}" names the schema cutover_${m.versionSchema}; pgroll would name it public_${m.versionSchema} (use --schema-naming pgroll to keep pgroll's names)`,
    });
  }
  for (const [i, op] of m.operations.entries()) {
    // A table this migration creates is only the new version's: constraints on it are simply added.
    const created = new Set(m.operations.slice(0, i).flatMap((o) => (o.kind === 'create_table' ? [o.spec.name] : [])));
    out.push(...lintOperation(i, op, created));
  }
  return out;
}

function lintOperation(index: number, op: OperationSpec, created: Set<string>): MigrationWarning[] {
  const w = (code: (typeof WARNING_CODES)[number], message: string): MigrationWarning => ({ code, index, message: `operations.${index} (${op.kind}): ${message}` });
  const out: MigrationWarning[] = [];
  switch (op.kind) {
    case 'alter_column': {
      const s = op.spec;
      if (s.name !== undefined && s.name !== s.column) out.push(w('ALTER_COLUMN_RENAME', `"name" renames "${s.column}" to "${s.name}"; pgroll does not accept "name" here (rename_column keeps the file pgroll-compatible)`));
      if (s.type !== undefined && (s.up === undefined || s.down === undefined)) {
        out.push(w('TYPE_CHANGE_WITHOUT_UP_DOWN', `the type change has no ${s.up === undefined ? '"up"' : '"down"'}; Cutover converts with CAST(... AS <type>), pgroll requires both`));
      }
      break;
    }
    case 'create_constraint': {
      const s = op.spec;
      if (created.has(s.table)) break;
      const missing = s.columns.filter((c) => s.up?.[c] === undefined || s.down?.[c] === undefined);
      if (missing.length) out.push(w('MISSING_UP_DOWN', `no up/down for ${missing.map((c) => `"${c}"`).join(', ')}; pgroll requires them, Cutover uses the column itself`));
      // (For unique and primary keys the index build at start meets existing duplicates either way.)
      if ((s.type === 'check' || s.type === 'foreign_key') && s.columns.every((c) => isIdentity(s.up?.[c], c) && isIdentity(s.down?.[c], c))) {
        out.push(
          w(
            'CONSTRAINT_ON_LIVE_COLUMNS',
            `up/down change no value, so "${s.name}" goes on the live columns (no copy of the table): existing rows that break it make complete fail (pgroll: start fails); give "up" to repair them`,
          ),
        );
      }
      break;
    }
    case 'drop_constraint':
    case 'drop_multicolumn_constraint': {
      const s = op.spec;
      // Without the schema, drop_constraint's column is unknown: a lone name counts as "the column itself".
      const single = (e: string | undefined) => e === undefined || /^\s*\(?\s*"?[A-Za-z_][A-Za-z0-9_$]*"?\s*\)?\s*$/.test(e);
      const converts =
        op.kind === 'drop_constraint'
          ? !single(op.spec.up) || !single(op.spec.down)
          : [...Object.entries(op.spec.up ?? {}), ...Object.entries(op.spec.down ?? {})].some(([c, e]) => !isIdentity(e, c));
      const noDown = op.kind === 'drop_constraint' ? op.spec.down === undefined : Object.keys(op.spec.down ?? {}).length === 0;
      if (noDown) out.push(w('MISSING_UP_DOWN', `no "down"; pgroll requires it, Cutover uses the column itself`));
      if (!converts) {
        out.push(w('DROP_CONSTRAINT_KEPT_UNTIL_COMPLETE', `up/down change no value, so "${s.name}" keeps applying to writes from both versions until complete (no copy of the table)`));
      }
      break;
    }
  }
  return out;
}
