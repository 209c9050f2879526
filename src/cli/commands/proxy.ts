import type { Command } from 'commander';

/** `cutover proxy`: the data plane alone, with a static table from YAML and an optional admin API. */
export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('run the traffic proxy alone, from a static YAML route table')
    .option('-c, --config <file>', 'YAML file with listeners, services and limits (see docs/proxy.md)')
    .option('--admin-port <n>', 'serve the admin API on this port (0 = pick one)', parsePort)
    .option('--admin-host <h>', 'admin API bind address', '127.0.0.1')
    .option('--token-file <f>', 'admin bearer token file (created with a random token, mode 0600, if missing)')
    .option('--state-file <f>', 'write {pid, adminUrl} here once listening')
    .option('--table-file <f>', 'persist the last applied route table here and reload it at start')
    .option('--limits <json>', 'limits and timeouts as JSON, over the config file\'s (what `cutover up` passes from cutover.yaml proxy.limits)')
    .action(async (o: { config?: string; adminPort?: number; adminHost?: string; tokenFile?: string; stateFile?: string; tableFile?: string; limits?: string }) => {
      const [{ runStandaloneProxy }, { parseLimitsArg }] = await Promise.all([import('../../proxy/cluster.ts'), import('../../proxy/config.ts')]);
      await runStandaloneProxy({
        ...(o.limits !== undefined ? { limits: parseLimitsArg(o.limits) } : {}),
        configFile: o.config,
        adminPort: o.adminPort,
        adminHost: o.adminHost,
        tokenFile: o.tokenFile,
        stateFile: o.stateFile,
        tableFile: o.tableFile,
      });
    });
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`"${v}" is not a port (0..65535)`);
  return n;
}
