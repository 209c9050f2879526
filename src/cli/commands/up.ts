/** `cutover up` runs the embedded engine in the foreground; `cutover down` stops it and its data plane. */
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.ts';
import { Engine, downWithoutController } from '../../engine/engine.ts';
import { lockHolder } from '../../engine/state-dir.ts';
import { isSameProcess } from '../../runtime/local/proc.ts';
import { createLogger } from '../../shared/log.ts';
import { reportError } from '../report-error.ts';

function banner(configArg: string, engine: Engine, services: Record<string, { listen: number; tls?: { redirectHttp?: number } }>): string {
  const lines = ['', 'Cutover is up.'];
  for (const [name, svc] of Object.entries(services)) {
    const redirect = svc.tls?.redirectHttp === undefined ? '' : `  (http://…:${svc.tls.redirectHttp} redirects here)`;
    lines.push(`  ${name.padEnd(14)} ${svc.tls ? 'https' : 'http'}://127.0.0.1:${svc.listen}${redirect}`);
  }
  lines.push(`  control API    ${engine.parts.apiUrl}  (token in the state dir)`);
  const first = Object.keys(services)[0];
  if (first) {
    const c = configArg === 'cutover.yaml' ? '' : ` -c ${configArg}`;
    lines.push(
      '',
      'Deploy a second version (in another terminal):',
      `  node bin/cutover.js deploy ${first} --version v2${c} --wait`,
      `  node bin/cutover.js status ${first} --watch${c}`,
      '',
      'Ctrl-C stops everything gracefully; `--leave-running` on up keeps the proxy and instances serving when it exits.',
    );
  }
  return lines.join('\n');
}

export function registerUpCommands(program: Command): void {
  program
    .command('up')
    .description('run the proxy, the controller, the API and the instances on this machine')
    .option('-c, --config <file>', 'config file', 'cutover.yaml')
    .option('--leave-running', 'on exit, stop only the controller: the proxy and instances keep serving')
    .action(async (flags: { config: string; leaveRunning?: boolean }) => {
      const loaded = loadConfigFile(flags.config);
      const logger = createLogger('cutover');
      let engine: Engine;
      try {
        engine = await Engine.start(loaded, logger);
      } catch (err) {
        // Exit now: a half-started engine may hold sockets and timers that would keep the process alive.
        process.exit(reportError(err));
      }
      console.log(banner(flags.config, engine, loaded.config.services));
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, 'stopping');
          engine
            .stop({ leaveRunning: !!flags.leaveRunning })
            .catch((err) => logger.error({ err }, 'stop failed'))
            .finally(() => {
              resolve();
              // Everything is stopped; don't let a lingering keep-alive socket hold the process.
              setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
            });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  program
    .command('down')
    .description('stop the controller, the proxy and every instance (gracefully: drain first)')
    .option('-c, --config <file>', 'config file', 'cutover.yaml')
    .action(async (flags: { config: string }) => {
      const loaded = loadConfigFile(flags.config);
      const pid = lockHolder(loaded.config.stateDir);
      if (pid !== undefined) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + 120_000;
        while (isSameProcess(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      }
      // Whatever the controller left (it may run with --leave-running), stop it from the state dir. Idempotent.
      await downWithoutController(loaded, createLogger('cutover'));
    });
}
