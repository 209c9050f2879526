/**
 * Typed migration errors. Each carries the names it is about as fields so the
 * CLI, the API and tests can tell problems apart without parsing messages.
 */
import { CutoverError } from '../errors.ts';

export class MigrationFileError extends CutoverError {
  constructor(file: string, problems: string[]) {
    super('MIGRATION_FILE_INVALID', `${file} is not a valid migration:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      status: 400,
      hint: 'fix the fields listed above; nothing in the database was changed',
      fields: { file, problems },
    });
  }
}

export class TableDoesNotExistError extends CutoverError {
  constructor(op: string, table: string) {
    super('MIGRATION_TABLE_NOT_FOUND', `${op}: table "${table}" does not exist`, {
      status: 400,
      hint: 'check the table name against the current schema (`\\dt` in psql)',
      fields: { op, table },
    });
  }
}

export class TableAlreadyExistsError extends CutoverError {
  constructor(op: string, table: string) {
    super('MIGRATION_TABLE_EXISTS', `${op}: table "${table}" already exists`, {
      status: 400,
      hint: 'pick another name, or drop the existing table in an earlier migration',
      fields: { op, table },
    });
  }
}

export class ColumnDoesNotExistError extends CutoverError {
  constructor(op: string, table: string, column: string) {
    super('MIGRATION_COLUMN_NOT_FOUND', `${op}: column "${column}" does not exist in table "${table}"`, {
      status: 400,
      hint: 'check the column name against the current schema (`\\d <table>` in psql)',
      fields: { op, table, column },
    });
  }
}

export class ColumnAlreadyExistsError extends CutoverError {
  constructor(op: string, table: string, column: string) {
    super('MIGRATION_COLUMN_EXISTS', `${op}: column "${column}" already exists in table "${table}"`, {
      status: 400,
      hint: 'pick another column name',
      fields: { op, table, column },
    });
  }
}

export class IndexDoesNotExistError extends CutoverError {
  constructor(op: string, index: string) {
    super('MIGRATION_INDEX_NOT_FOUND', `${op}: index "${index}" does not exist`, {
      status: 400,
      hint: 'check the index name (`\\di` in psql)',
      fields: { op, index },
    });
  }
}

export class IndexAlreadyExistsError extends CutoverError {
  constructor(op: string, index: string) {
    super('MIGRATION_INDEX_EXISTS', `${op}: index or relation "${index}" already exists`, {
      status: 400,
      hint: 'pick another index name',
      fields: { op, index },
    });
  }
}

export class ConstraintDoesNotExistError extends CutoverError {
  constructor(op: string, table: string, constraint: string) {
    super('MIGRATION_CONSTRAINT_NOT_FOUND', `${op}: constraint "${constraint}" does not exist on table "${table}"`, {
      status: 400,
      hint: 'check the constraint name (`\\d <table>` in psql)',
      fields: { op, table, constraint },
    });
  }
}

export class ConstraintAlreadyExistsError extends CutoverError {
  constructor(op: string, table: string, constraint: string) {
    super('MIGRATION_CONSTRAINT_EXISTS', `${op}: constraint "${constraint}" already exists on table "${table}"`, {
      status: 400,
      hint: 'pick another constraint name',
      fields: { op, table, constraint },
    });
  }
}

/** The operation is well formed but cannot be done safely as written. */
export class InvalidOperationError extends CutoverError {
  constructor(op: string, problem: string, hint: string) {
    super('MIGRATION_OPERATION_INVALID', `${op}: ${problem}`, { status: 400, hint, fields: { op, problem } });
  }
}

/** An `up`/`down` (or default, check) expression that PostgreSQL cannot evaluate against the row it is meant for. */
export class ExpressionInvalidError extends CutoverError {
  constructor(f: {
    op: string;
    index: number;
    field: string;
    table: string;
    shape: 'old' | 'new';
    purpose: string;
    columns: string[];
    problem: string;
    sqlState: string | undefined;
  }) {
    const whose = f.shape === 'old' ? "the old version's" : "the new version's";
    const cols = f.columns.length ? `${whose} columns of "${f.table}": ${f.columns.join(', ')}` : 'no columns';
    super('MIGRATION_EXPRESSION_INVALID', `operations.${f.index} (${f.op}) ${f.field}: ${f.problem}; it computes ${f.purpose}, and can use ${cols}`, {
      status: 400,
      hint: 'fix the expression; nothing in the database was changed',
      fields: { op: f.op, index: f.index, field: f.field, table: f.table, columns: f.columns, sqlState: f.sqlState },
    });
  }
}

export class MigrationLockedError extends CutoverError {
  constructor() {
    super('MIGRATION_LOCKED', 'another cutover migrate command is running against this database', {
      status: 409,
      hint: 'wait for it to finish; runs are serialised by a PostgreSQL advisory lock',
    });
  }
}

export class MigrationInProgressError extends CutoverError {
  constructor(name: string) {
    super('MIGRATION_IN_PROGRESS', `migration "${name}" is in progress`, {
      status: 409,
      hint: 'complete or roll it back before starting another (`cutover migrate complete|rollback`)',
      fields: { name },
    });
  }
}

export class NoMigrationInProgressError extends CutoverError {
  constructor() {
    super('MIGRATION_NONE_IN_PROGRESS', 'no migration is in progress', {
      status: 409,
      hint: 'start one first with `cutover migrate start <file>`',
    });
  }
}

export class MigrationAlreadyAppliedError extends CutoverError {
  constructor(name: string) {
    super('MIGRATION_ALREADY_APPLIED', `migration "${name}" has already been applied`, {
      status: 409,
      hint: 'give the new migration a new name (file name prefix)',
      fields: { name },
    });
  }
}

export class NoPendingMigrationError extends CutoverError {
  constructor(dir: string) {
    super('MIGRATION_NONE_PENDING', `every migration in ${dir} has already been applied`, {
      status: 409,
      hint: 'add a new migration file, or name one explicitly',
      fields: { dir },
    });
  }
}

export class LockTimeoutError extends CutoverError {
  constructor(step: string, attempts: number, cause: unknown) {
    super('MIGRATION_LOCK_TIMEOUT', `step ${step} could not take its locks after ${attempts} attempts`, {
      status: 503,
      hint: 'a long-running transaction holds a lock on the table; end it (see pg_stat_activity) and retry',
      fields: { step, attempts },
      cause,
    });
  }
}

/** A start that failed part-way; everything it did was undone before this is thrown. */
export class MigrationStartFailedError extends CutoverError {
  constructor(name: string, step: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('MIGRATION_START_FAILED', `migration "${name}" failed at step ${step}: ${why}`, {
      status: 500,
      hint: 'the partial changes were rolled back and nothing is in progress; fix the cause and start again',
      fields: { name, step },
      cause,
    });
  }
}

export class DatabaseUrlMissingError extends CutoverError {
  constructor() {
    super('MIGRATION_DATABASE_URL_MISSING', 'no database given', {
      status: 400,
      hint: 'pass --database-url or set DATABASE_URL',
    });
  }
}

/** A PostgreSQL error outside Cutover's own checks, with the database URL and password scrubbed. */
export class MigrationDatabaseError extends CutoverError {
  constructor(message: string, sqlState: string | undefined, cause: unknown) {
    super('MIGRATION_DATABASE_ERROR', message, {
      status: 500,
      hint: 'the database rejected a statement; nothing is left half-done (start undoes itself, complete and rollback are single transactions)',
      fields: { sqlState },
      cause,
    });
  }
}

/** Wraps any non-Cutover error, removing the URL and its password from the message. */
export function scrubDatabaseError(err: unknown, databaseUrl: string): unknown {
  if (err instanceof CutoverError) return err;
  let message = err instanceof Error ? err.message : String(err);
  for (const secret of secretsOf(databaseUrl)) message = message.replaceAll(secret, '[redacted]');
  return new MigrationDatabaseError(message, (err as { code?: string }).code, err);
}

function secretsOf(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
  } catch {
    // Not a URL (e.g. a keyword/value string): the whole string is still scrubbed.
  }
  return out.filter((s) => s.length > 0);
}
