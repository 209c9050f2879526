/**
 * Version schemas: one per migration, holding a view per table in that
 * version's shape. Apps pick a version by search_path or by `cutover.version`.
 */
import { ddl, type Action } from './actions.ts';
import type { SchemaModel } from './model.ts';
import { ident, qualified, shortName } from './sql.ts';

export function versionSchemaName(migration: string): string {
  return shortName('cutover', migration);
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
