import { CommanderError } from 'commander';
import { CutoverError } from '../errors.ts';

/**
 * Prints an error the way a user can act on it and returns the exit code:
 * 0 done, 1 rollout failed or aborted (--wait), 2 bad input or config,
 * 3 control API unreachable.
 */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof CutoverError) {
    console.error(`error [${err.code}]: ${err.message}`);
    if (err.hint) console.error(`  hint: ${err.hint}`);
    return err.code === 'API_UNREACHABLE' ? 3 : 2;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 2;
}
