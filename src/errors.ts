/**
 * Every error Cutover raises on purpose is a CutoverError: a stable `code`
 * (listed in docs/errors.md; a test keeps the two in step), an HTTP status for
 * the API, structured `fields`, and a `hint` that tells the user what to do.
 */
export interface CutoverErrorOptions {
  hint?: string;
  status?: number;
  fields?: Record<string, unknown>;
  cause?: unknown;
}

export class CutoverError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint: string | undefined;
  readonly fields: Record<string, unknown>;

  constructor(code: string, message: string, opts: CutoverErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.hint = opts.hint;
    this.fields = opts.fields ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, ...this.fields };
  }
}

/** One problem found in a config: where, what was there, and how to fix it. */
export interface ConfigIssue {
  path: string;
  message: string;
  value?: unknown;
  hint?: string;
}

export class ConfigError extends CutoverError {
  readonly issues: ConfigIssue[];
  constructor(source: string, issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`);
    super('CONFIG_INVALID', `${source} is not valid:\n${lines.join('\n')}`, {
      status: 400,
      hint: 'fix the fields listed above; nothing running was changed',
      fields: { issues },
    });
    this.issues = issues;
  }
}

export class NotFoundError extends CutoverError {
  constructor(what: string, name: string) {
    super('NOT_FOUND', `${what} "${name}" does not exist`, { status: 404, fields: { what, name } });
  }
}

export class UnauthorizedError extends CutoverError {
  constructor() {
    super('UNAUTHORIZED', 'missing or wrong bearer token', {
      status: 401,
      hint: 'send "Authorization: Bearer <token>"; the token is in <stateDir>/token',
    });
  }
}

export class BadRequestError extends CutoverError {
  constructor(message: string, hint?: string) {
    super('BAD_REQUEST', message, { status: 400, hint });
  }
}
