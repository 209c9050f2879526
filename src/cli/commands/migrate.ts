/** `cutover migrate ...`: expand/contract PostgreSQL migrations. */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { BadRequestError } from '../../errors.ts';
import {
  DatabaseUrlMissingError,
  completeMigration,
  latestSchema,
  lintMigration,
  listMigrationFiles,
  loadMigrationFile,
  migrationStatus,
  rollbackMigration,
  schemaNamingOf,
  scrubDatabaseError,
  startMigration,
} from '../../migrate/index.ts';

interface CommonFlags {
  databaseUrl?: string;
  lockTimeout?: string;
}

export function registerMigrateCommand(program: Command): void {
  const migrate = program.command('migrate').description('expand/contract PostgreSQL migrations that let two app versions share one database');
  const common = (cmd: Command) =>
    cmd
      .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
      .option('--lock-timeout <ms>', 'lock_timeout for each DDL statement, in ms', '500');

  common(migrate.command('start [file]'))
    .description('expand: create the new version schema, shadow columns, sync triggers and backfill')
    .option('--dir <dir>', 'migrations directory (its first unapplied migration is started)', 'migrations')
    .option('--batch-size <n>', 'rows per backfill batch', '5000')
    .option('--batch-delay <ms>', 'pause between backfill batches, in ms', '0')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--schema-naming <naming>', "version schema names: cutover (cutover_<name>) or pgroll (public_<name>); default $CUTOVER_SCHEMA_NAMING or cutover")
    .action(async (file: string | undefined, flags: CommonFlags & { dir: string; batchSize: string; batchDelay: string; dryRun?: boolean; schemaNaming?: string }) => {
      const databaseUrl = urlOf(flags);
      const target = file ?? flags.dir;
      if (!statSync(target, { throwIfNoEntry: false })) throw new BadRequestError(`${target} does not exist`, 'pass a migration file or --dir <directory>');
      const r = await guard(databaseUrl, () =>
        startMigration({
          databaseUrl,
          file: target,
          batchSize: positive(flags.batchSize, '--batch-size'),
          batchDelayMs: positive(flags.batchDelay, '--batch-delay', true),
          lockTimeoutMs: positive(flags.lockTimeout ?? '500', '--lock-timeout'),
          dryRun: flags.dryRun ?? false,
          schemaNaming: schemaNamingOf(flags.schemaNaming ?? process.env.CUTOVER_SCHEMA_NAMING),
          log: (m) => console.error(m),
        }),
      );
      console.log(`${flags.dryRun ? 'dry run: would start' : 'started'} ${r.name}`);
      console.log(`new version schema: ${r.schema}`);
      console.log(`PGOPTIONS='${r.pgOptions}'`);
    });

  common(migrate.command('complete'))
    .description('contract: drop the old shape and move the new one into place')
    .action(async (flags: CommonFlags) => {
      const databaseUrl = urlOf(flags);
      const r = await guard(databaseUrl, () => completeMigration({ databaseUrl, lockTimeoutMs: positive(flags.lockTimeout ?? '500', '--lock-timeout'), log: (m) => console.error(m) }));
      console.log(`completed ${r.name}`);
    });

  common(migrate.command('rollback'))
    .description('undo the migration in progress; rows written by either version are kept')
    .action(async (flags: CommonFlags) => {
      const databaseUrl = urlOf(flags);
      const r = await guard(databaseUrl, () => rollbackMigration({ databaseUrl, lockTimeoutMs: positive(flags.lockTimeout ?? '500', '--lock-timeout'), log: (m) => console.error(m) }));
      console.log(`rolled back ${r.name}`);
    });

  migrate
    .command('validate [file]')
    .description("check migration files (format, and each place Cutover deliberately differs from pgroll); with a database, also the first pending one against the live schema")
    .option('--dir <dir>', 'migrations directory (every file in it is checked)', 'migrations')
    .option('--database-url <url>', 'also plan the migration against this database and prepare its up/down expressions (changes nothing)')
    .option('--schema-naming <naming>', 'cutover or pgroll (see start)')
    .action(async (file: string | undefined, flags: { dir: string; databaseUrl?: string; schemaNaming?: string }) => {
      const target = file ?? flags.dir;
      const stat = statSync(target, { throwIfNoEntry: false });
      if (!stat) throw new BadRequestError(`${target} does not exist`, 'pass a migration file or --dir <directory>');
      const naming = schemaNamingOf(flags.schemaNaming ?? process.env.CUTOVER_SCHEMA_NAMING);
      const files = stat.isDirectory() ? listMigrationFiles(target) : [target];
      let warnings = 0;
      for (const f of files) {
        const m = loadMigrationFile(f);
        const found = lintMigration(m, naming);
        warnings += found.length;
        console.log(`${f}: valid (${m.operations.length} operation${m.operations.length === 1 ? '' : 's'})`);
        for (const w of found) console.log(`  warning ${w.code}: ${w.message}`);
      }
      const databaseUrl = flags.databaseUrl;
      if (databaseUrl) {
        const r = await guard(databaseUrl, () => startMigration({ databaseUrl, file: target, dryRun: true, schemaNaming: naming, log: () => {} }));
        console.log(`${r.name}: planned against the database; every up/down expression prepared (nothing was changed)`);
      }
      if (warnings) console.log(`${warnings} warning(s): see "Differences from pgroll" in docs/migrations.md`);
    });

  migrate
    .command('status')
    .description('the migration in progress and the history')
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const databaseUrl = urlOf(flags);
      const s = await guard(databaseUrl, () => migrationStatus({ databaseUrl }));
      if (flags.json) return console.log(JSON.stringify(s, null, 2));
      console.log(`in progress: ${s.inProgress ? `${s.inProgress.name} (schema ${s.inProgress.schema})` : 'none'}`);
      console.log(`latest schema: ${s.latest.schema}`);
      for (const m of s.migrations) console.log(`  ${m.name.padEnd(32)} ${m.status.padEnd(12)} ${m.startedAt.toISOString()}`);
    });

  migrate
    .command('latest-schema')
    .description('print the search_path a new app version should use')
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
    .option('--pgoptions', 'print a ready-made PGOPTIONS value instead')
    .action(async (flags: CommonFlags & { pgoptions?: boolean }) => {
      const databaseUrl = urlOf(flags);
      const v = await guard(databaseUrl, () => latestSchema({ databaseUrl }));
      console.log(flags.pgoptions ? v.pgOptions : v.searchPath);
    });
}

function urlOf(flags: CommonFlags): string {
  const url = flags.databaseUrl ?? process.env.DATABASE_URL;
  if (!url) throw new DatabaseUrlMissingError();
  return url;
}

/** Any error leaving here has the URL and password scrubbed from its message. */
async function guard<T>(databaseUrl: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw scrubDatabaseError(err, databaseUrl);
  }
}

function positive(value: string, flag: string, zeroOk = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!zeroOk && n === 0)) throw new BadRequestError(`${flag} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got "${value}"`);
  return n;
}
