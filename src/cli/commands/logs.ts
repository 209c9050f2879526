/** `cutover logs`: instance output, read straight from the state dir's log files. */
import type { Command } from 'commander';
import { NotFoundError } from '../../errors.ts';

interface LogFlags {
  config: string;
  revision?: string;
  follow?: boolean;
  lines: string;
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs <service>')
    .description("instances' stdout and stderr, prefixed with revision and instance")
    .option('-c, --config <file>', 'config file (for the state dir)', 'cutover.yaml')
    .option('--revision <n>', 'only this revision number')
    .option('-f, --follow', 'keep printing new lines, including from instances started later')
    .option('-n, --lines <n>', 'lines to show from the end of each file', '20')
    .action(async (service: string, flags: LogFlags) => {
      const [{ loadConfigFile }, { follow, logFiles, tailLines }] = await Promise.all([import('../../config/load.ts'), import('../../runtime/logs.ts')]);
      const { config } = loadConfigFile(flags.config);
      if (!config.services[service]) throw new NotFoundError('service', service);
      const labels = new Map<string, string>();
      const list = () => {
        const found = logFiles(config.stateDir, service, flags.revision);
        for (const f of found) labels.set(f.path, `[#${f.revision} ${f.instance}] `);
        return found;
      };
      const prefix = (path: string) => labels.get(path) ?? '';
      const files = list();
      for (const f of files) {
        for (const line of await tailLines(f.path, Number(flags.lines))) console.log(prefix(f.path) + line);
      }
      if (!flags.follow) return;
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await follow(() => list().map((f) => f.path), (line, file) => console.log(prefix(file) + line), stop.signal);
    });
}
