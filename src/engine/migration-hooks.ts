/**
 * Ties a revision's migration to the rollout: the controller starts it before
 * the new instances (which get the version schema in their env), completes it
 * after success and rolls it back after an abort or failure.
 */
import { resolve } from 'node:path';
import { completeMigration, rollbackMigration, scrubDatabaseError, startMigration } from '../migrate/index.ts';
import type { MigrationHooks } from '../rollout/interfaces.ts';

export function postgresMigrationHooks(databaseUrl: string, baseDir: string): MigrationHooks {
  // Errors reach API answers and events: never with the URL or its password in them.
  const scrubbed = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw scrubDatabaseError(err, databaseUrl);
    }
  };
  return {
    start: (file) =>
      scrubbed(async () => {
        const { schema, pgOptions } = await startMigration({ databaseUrl, file: resolve(baseDir, file) });
        return { env: { CUTOVER_PG_SCHEMA: schema, PGOPTIONS: pgOptions } };
      }),
    // Only one migration is ever in progress: complete and rollback act on it, whatever its file.
    complete: () => scrubbed(async () => void (await completeMigration({ databaseUrl }))),
    rollback: () => scrubbed(async () => void (await rollbackMigration({ databaseUrl }))),
  };
}
