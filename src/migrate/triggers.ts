/**
 * Sync triggers: one BEFORE INSERT OR UPDATE row trigger per operation that
 * keeps the old and the new shape of a table in step. The trigger tells the
 * writer's version apart by the `cutover.version` setting when it is set, and
 * otherwise by the first schema on the writer's search_path.
 */
import { STAGE, ddl, type Action } from './actions.ts';
import type { ColumnModel } from './model.ts';
import { ident, literal, qualified, shortName } from './sql.ts';

/** Functions live in the cutover schema so they never show up in the app's schema. */
export const FUNCTION_SCHEMA = 'cutover';

export interface SyncTrigger {
  id: string;
  name: string;
  schema: string;
  table: string;
  migration: string;
  versionSchema: string;
  /** Statements run for writes coming through the old version. */
  fromOld: string;
  /** Statements run for writes coming through the new version. */
  fromNew: string;
}

export function triggerName(migration: string, index: number, table: string): string {
  return shortName('cutover', migration, String(index), table);
}

export function createTrigger(t: SyncTrigger): Action[] {
  const fn = qualified(FUNCTION_SCHEMA, t.name);
  const body = [
    'BEGIN',
    `  IF ${isNewVersion(t.migration, t.versionSchema)} THEN`,
    indent(t.fromNew || 'NULL;', 4),
    '  ELSE',
    indent(t.fromOld || 'NULL;', 4),
    '  END IF;',
    '  RETURN NEW;',
    'END',
  ].join('\n');
  return [
    ddl(`${t.id}.function`, `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $cutover$\n${body}\n$cutover$`),
    ddl(
      `${t.id}.trigger`,
      `CREATE TRIGGER ${ident(t.name)} BEFORE INSERT OR UPDATE ON ${qualified(t.schema, t.table)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    ),
  ];
}

export function dropTrigger(id: string, name: string, schema: string, table: string): Action[] {
  return [
    ddl(`${id}.drop-trigger`, `DROP TRIGGER IF EXISTS ${ident(name)} ON ${qualified(schema, table)}`, STAGE.triggers),
    ddl(`${id}.drop-function`, `DROP FUNCTION IF EXISTS ${qualified(FUNCTION_SCHEMA, name)}()`, STAGE.triggers),
  ];
}

/**
 * A block where each column of a shape is a variable named as the version sees
 * it, so `up`/`down` expressions are written in that version's column names.
 * Only columns the statement mentions are declared, to keep the per-row cost low.
 */
export function withShape(columns: ColumnModel[], statement: string): string {
  const used = columns.filter((c) => mentions(statement, c.name));
  if (used.length === 0) return statement;
  const decls = used.map((c) => `${ident(c.name)} ${c.type} := NEW.${ident(c.physical)};`);
  return ['DECLARE', ...decls.map((d) => `  ${d}`), 'BEGIN', indent(statement, 2), 'END;'].join('\n');
}

function isNewVersion(migration: string, versionSchema: string): string {
  const setting = "current_setting('cutover.version', true)";
  return (
    `(CASE WHEN coalesce(${setting}, '') <> '' THEN ${setting} IN (${literal(migration)}, ${literal(versionSchema)})` +
    ` ELSE btrim(split_part(current_setting('search_path'), ',', 1), ' "') = ${literal(versionSchema)} END)`
  );
}

function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$])"?${escaped}"?($|[^A-Za-z0-9_$])`, 'i').test(text);
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
