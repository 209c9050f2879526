/** validate and schema: the config file, checked and described. */
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.ts';
import { jsonSchema } from '../../config/schema.ts';
import { checkTlsFiles } from '../../config/tls-check.ts';
import { ConfigError } from '../../errors.ts';
import { daysLeft } from '../../shared/certificate.ts';

export function registerConfigCommands(program: Command): void {
  program
    .command('validate')
    .description('check a config file (and the certificate and key files it names) and report every problem with its path and a hint')
    .option('-c, --config <file>', 'config file', 'cutover.yaml')
    .action((flags: { config: string }) => {
      const { config, file } = loadConfigFile(flags.config);
      const { findings, certificates } = checkTlsFiles(config, { readKeys: true });
      const errors = findings.filter((f) => f.severity === 'error');
      if (errors.length > 0) throw new ConfigError(file, errors.map(({ severity: _, ...issue }) => issue));
      const names = Object.keys(config.services);
      console.log(`${file} is valid: ${names.length} service(s): ${names.join(', ')}`);
      for (const c of certificates) {
        console.log(`  ${c.service}: HTTPS on port ${config.services[c.service]!.listen}, certificate ${c.summary.subject} for ${c.summary.names.join(', ')}, expires ${c.summary.notAfter} (${daysLeft(c.summary.notAfter)} days)`);
      }
      for (const w of findings.filter((f) => f.severity === 'warning')) console.error(`warning: ${w.path}: ${w.message}${w.hint ? ` (${w.hint})` : ''}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of cutover.yaml (for editors)')
    .action(() => {
      console.log(JSON.stringify(jsonSchema(), null, 2));
    });
}
