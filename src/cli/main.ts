/** The `cutover` command line. Each command group lives in commands/. */
import { Command, CommanderError } from 'commander';
import { CutoverError } from '../errors.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerProxyCommand } from './commands/proxy.ts';
import { registerRolloutCommands } from './commands/rollout.ts';
import { registerUpCommands } from './commands/up.ts';

export function buildProgram(): Command {
  const program = new Command('cutover')
    .description('Ship new versions of web services without their users noticing')
    .version('0.1.0')
    // Program options only before the subcommand, so `deploy --version v2` is the deploy's own flag.
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  registerUpCommands(program);
  registerRolloutCommands(program);
  registerInspectCommands(program);
  registerLogsCommand(program);
  registerConfigCommands(program);
  registerProxyCommand(program);
  registerMigrateCommand(program);
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
