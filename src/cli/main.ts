/** The `cutover` command line. Each command group lives in commands/. */
import { Command, CommanderError } from 'commander';
import { CutoverError } from '../errors.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerRolloutCommands } from './commands/rollout.ts';

export function buildProgram(): Command {
  const program = new Command('cutover')
    .description('Ship new versions of web services without their users noticing')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerRolloutCommands(program);
  registerInspectCommands(program);
  registerConfigCommands(program);
  return program;
}

/** Exit codes: 0 done, 1 rollout failed or aborted (--wait), 2 bad input or config, 3 control API unreachable. */
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

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
