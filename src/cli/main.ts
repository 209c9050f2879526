/**
 * The `cutover` command line. Each command group lives in commands/ and is
 * registered below with one line.
 *
 * Start-up time matters (CI pipelines and `status` loops pay it on every
 * call), so a commands/ file imports at its top only commander, its types and
 * the light CLI helpers (client.ts, format.ts, wait.ts, ../errors.ts); what a
 * command needs to run (the engine, the proxy, pg, SQLite, Fastify, pino,
 * even the config loader) is loaded with `await import()` inside its action.
 * test/cli/startup.test.ts fails when a module graph breaks this.
 */
import { Command } from 'commander';
import { registerConfigCommands } from './commands/config.ts';
import { registerDashboardCommand } from './commands/dashboard.ts';
import { registerFlagsCommand } from './commands/flags.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerInstancesCommand } from './commands/instances.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerNotificationsCommand } from './commands/notifications.ts';
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
  registerDashboardCommand(program);
  registerInstancesCommand(program);
  registerReportCommands(program);
  registerFlagsCommand(program);
  registerNotificationsCommand(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
