/**
 * Ties a revision's migration to the rollout: the controller starts it before
 * the new instances (which get the version schema in their env), completes it
 * after success and rolls it back after an abort or failure.
 */
import { resolve } from 'node:path';
import { completeMigration, rollbackMigration, startMigration } from '../migrate/index.ts';
import type { MigrationHooks } from '../rollout/ports.ts';

export function postgresMigrationHooks(databaseUrl: string, baseDir: string): MigrationHooks {
  return {
    async start(file) {
      const { schema, pgOptions } = await startMigration({ databaseUrl, file: resolve(baseDir, file) });
      return { env: { CUTOVER_PG_SCHEMA: schema, PGOPTIONS: pgOptions } };
    },
    async complete() {
      await completeMigration({ databaseUrl });
    },
    async rollback() {
      await rollbackMigration({ databaseUrl });
    },
  };
}
