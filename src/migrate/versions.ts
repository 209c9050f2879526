/**
 * Version schemas: one per migration, holding a view per table in that
 * version's shape. Apps pick a version by search_path or by `cutover.version`.
 */
import { ddl, type Action } from './actions.ts';
import type { SchemaModel } from './model.ts';
import { ident, qualified, shortName } from './sql.ts';

/**
 * How version schemas are named: `cutover` gives `cutover_<name>`, `pgroll`
 * gives pgroll's `<base schema>_<name>` (`public_<name>`), so an app moved
 * from pgroll keeps its search_path. `<name>` is the file's `version_schema`
 * when it has one, else the migration name.
 */
export type SchemaNaming = 'cutover' | 'pgroll';
export const SCHEMA_NAMINGS: readonly SchemaNaming[] = ['cutover', 'pgroll'];

export function versionSchemaName(migration: { name: string; versionSchema?: string | undefined }, naming: SchemaNaming = 'cutover', baseSchema = 'public'): string {
  const version = migration.versionSchema ?? migration.name;
  if (naming === 'pgroll') {
    const full = `${baseSchema}_${version}`;
    return full.length <= 63 ? full : shortName(baseSchema, version);
  }
  return shortName('cutover', version);
}

/** The search_path an app of this version should use: its views first, then the base schema. */
export function searchPathFor(versionSchema: string, baseSchema: string): string {
  return versionSchema === baseSchema ? baseSchema : `${versionSchema},${baseSchema}`;
}

/** Ready-made libpq/node-postgres `options` (or PGOPTIONS) for this version. */
export function pgOptionsFor(versionSchema: string, baseSchema: string, migration: string | null): string {
  const path = `-c search_path=${searchPathFor(versionSchema, baseSchema)}`;
  return migration ? `${path} -c cutover.version=${migration}` : path;
}

export function createViews(model: SchemaModel, versionSchema: string): Action[] {
  const out: Action[] = [ddl('views.schema', `CREATE SCHEMA ${ident(versionSchema)}`)];
  for (const t of model.tables) {
    const cols = t.columns.map((c) => (c.name === c.physical ? ident(c.name) : `${ident(c.physical)} AS ${ident(c.name)}`));
    const sql = `CREATE VIEW ${qualified(versionSchema, t.name)} AS SELECT ${cols.join(', ')} FROM ${qualified(model.schema, t.physical)}`;
    out.push(ddl(`views.${t.name}`, sql));
  }
  return out;
}
