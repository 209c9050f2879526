/** The flag domain's errors; each code is listed in docs/flags.md. */
import { CutoverError } from '../errors.ts';

export interface FlagIssue {
  path: string;
  message: string;
}

/** A definition (a flag, a segment, a features document, cutover.yaml's flags) was refused whole; nothing changed. */
export class FlagInvalidError extends CutoverError {
  readonly issues: FlagIssue[];
  constructor(source: string, issues: FlagIssue[]) {
    super('FLAG_INVALID', `${source} is not valid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, {
      status: 400,
      hint: 'fix the fields listed above; no flag was changed (see docs/flags.md for the model)',
      fields: { issues },
    });
    this.issues = issues;
  }
}

export class FlagNotFoundError extends CutoverError {
  constructor(name: string) {
    super('FLAG_NOT_FOUND', `flag "${name}" does not exist`, { status: 404, hint: 'list the flags with `cutover flags list`', fields: { flag: name } });
  }
}

/** `rollout <flag> <percent>` cannot tell which strategy to change. */
export class FlagRolloutAmbiguousError extends CutoverError {
  constructor(name: string, why: string) {
    super('FLAG_ROLLOUT_AMBIGUOUS', `cannot set the rollout of "${name}": ${why}`, {
      status: 409,
      hint: 'edit its strategies with `cutover flags set <flag> -f <file>`',
      fields: { flag: name },
    });
  }
}

/** The client token (SDKs, OFREP, providers) reads flags; it changes nothing and sees nothing else. */
export class ForbiddenError extends CutoverError {
  constructor(what: string) {
    super('FORBIDDEN', `the client token cannot ${what}`, {
      status: 403,
      hint: 'changes need the admin token (<stateDir>/token); the client token only reads flags',
    });
  }
}
