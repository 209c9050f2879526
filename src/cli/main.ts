/** The `cutover` command line. Each command group lives in commands/. */
import { Command } from 'commander';
import { registerConfigCommands } from './commands/config.ts';
import { registerFlagsCommand } from './commands/flags.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerProxyCommand } from './commands/proxy.ts';
import { registerRolloutCommands } from './commands/rollout.ts';
import { registerReportCommands } from './commands/reports.ts';
import { registerUpCommands } from './commands/up.ts';
import { reportError } from './report-error.ts';

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
  registerReportCommands(program);
  registerFlagsCommand(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
