/**
 * Reading migration files: one file, or every .yaml/.yml/.json file in a
 * directory ordered by numeric prefix (2_ before 10_).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MigrationFileError } from './errors.ts';
import { MIGRATION_NAME, type Migration } from './file-schema.ts';
import { parseDocument } from './parse.ts';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function loadMigrationFile(file: string): Migration {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MigrationFileError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseMigration(text, file);
}

/** Parses file content; `source` names it in errors and gives the default migration name. */
export function parseMigration(text: string, source: string): Migration {
  let raw: unknown;
  try {
    raw = extname(source) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new MigrationFileError(source, [`cannot parse: ${(err as Error).message}`]);
  }
  const { migration, problems } = parseDocument(raw);
  if (problems.length) throw new MigrationFileError(source, problems);
  const name = migration.name ?? basename(source, extname(source));
  if (!MIGRATION_NAME.test(name) || name.length > 50) {
    throw new MigrationFileError(source, [`name "${name}": use letters, digits, _ and - (at most 50), or set "name:"`]);
  }
  return migration.versionSchema === undefined ? { name, operations: migration.operations } : { name, versionSchema: migration.versionSchema, operations: migration.operations };
}

/** Migration files in `dir`, in the order they apply. */
export function listMigrationFiles(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => EXTENSIONS.has(extname(f)));
  return files.sort(compareMigrationNames).map((f) => join(dir, f));
}

/** Numeric prefixes compare as numbers; the rest as text. */
export function compareMigrationNames(a: string, b: string): number {
  const na = /^(\d+)/.exec(a)?.[1];
  const nb = /^(\d+)/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined && Number(na) !== Number(nb)) return Number(na) - Number(nb);
  if (na !== undefined && nb === undefined) return -1;
  if (na === undefined && nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
