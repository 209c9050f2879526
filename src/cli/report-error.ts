import { CommanderError } from 'commander';
import { CutoverError } from '../errors.ts';
import { ApiError } from './client.ts';

/**
 * Prints an error the way a user can act on it (its code is in
 * docs/errors.md) and returns the exit code:
 * 0 done, 1 rollout failed or aborted (--wait), 2 bad input or config,
 * 3 control API unreachable.
 */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof CutoverError) {
    // A refusal of the control API shows the API's code (NO_ROLLOUT_IN_PROGRESS, ...), the one docs/errors.md explains.
    const code = err instanceof ApiError ? (err.apiCode ?? err.code) : err.code;
    console.error(`error [${code}]: ${err.message}`);
    if (err.hint) console.error(`  hint: ${err.hint}`);
    return err.code === 'API_UNREACHABLE' ? 3 : 2;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 2;
}
