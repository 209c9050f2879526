/** validate and schema: the config file, checked and described. */
import type { Command } from 'commander';

export function registerConfigCommands(program: Command): void {
  program
    .command('validate')
    .description('check a config file and report every problem with its path and a hint')
    .option('-c, --config <file>', 'config file', 'cutover.yaml')
    .action(async (flags: { config: string }) => {
      const { loadConfigFile } = await import('../../config/load.ts');
      const { config, file } = loadConfigFile(flags.config);
      const names = Object.keys(config.services);
      console.log(`${file} is valid: ${names.length} service(s): ${names.join(', ')}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of cutover.yaml (for editors)')
    .action(async () => {
      const { jsonSchema } = await import('../../config/schema.ts');
      console.log(JSON.stringify(jsonSchema(), null, 2));
    });
}
