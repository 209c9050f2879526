import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { writeFileAtomic } from '../shared/atomic-file.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { ensureTokenFile } from '../shared/token.ts';
import { createProxy, type Proxy } from './proxy.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { loadStaticConfig, parseRoutesState, type RoutesState } from './config.ts';
import type { ProxyOptions } from './options.ts';

export interface ProxyProcessOptions {
  configFile?: string;
  adminHost?: string;
  adminPort?: number;
  tokenFile?: string;
  stateFile?: string;
  tableFile?: string;
  /** Install SIGTERM/SIGINT handlers that drain and exit (default true; tests pass false). */
  handleSignals?: boolean;
  /** How long shutdown waits for in-flight requests. */
  shutdownDrainMs?: number;
  logger?: Logger;
}

export interface ProxyProcess {
  proxy: Proxy;
  admin: AdminServer | undefined;
  /** Stops accepting, drains, closes the admin API. */
  stop(): Promise<void>;
}

/**
 * The proxy as its own process (`cutover proxy`, or spawned by `cutover up`):
 * static config or last persisted table first, then the admin API, then the
 * state file that tells a controller where to find it.
 */
export async function runProxyProcess(opts: ProxyProcessOptions): Promise<ProxyProcess> {
  const log = opts.logger ?? createLogger('proxy');
  const config = opts.configFile ? loadStaticConfig(opts.configFile) : undefined;
  const proxy = createProxy({ ...(config?.options ?? {}), logger: log } as Partial<ProxyOptions>);
  const initial = config?.state ?? readTable(opts.tableFile);
  if (initial) await proxy.apply(initial);
  const persist = opts.tableFile ? tablePersister(opts.tableFile, log) : undefined;
  if (persist && initial) await persist(initial);
  let admin: AdminServer | undefined;
  if (opts.adminPort !== undefined) {
    const token = tokenOf(opts.tokenFile);
    admin = await startAdminServer(proxy, { host: opts.adminHost ?? '127.0.0.1', port: opts.adminPort, token, afterApply: persist });
    log.info({ adminUrl: admin.url }, 'admin API listening');
  }
  if (opts.stateFile) await writeFileAtomic(opts.stateFile, JSON.stringify({ pid: process.pid, adminUrl: admin?.url ?? null }), 0o600);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await proxy.close(opts.shutdownDrainMs ?? 10_000);
      await admin?.close();
    })());
  if (opts.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        log.info({ signal: sig }, 'draining and stopping');
        void stop().then(() => process.exit(0));
      });
    }
  }
  return { proxy, admin, stop };
}

function readTable(file: string | undefined): RoutesState | undefined {
  if (!file || !existsSync(file)) return undefined;
  return parseRoutesState(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** Writes are chained so the file always ends with the last applied state; the admin answer waits for it. */
function tablePersister(file: string, log: Logger): (state: RoutesState) => Promise<void> {
  let chain = Promise.resolve();
  return (state) => {
    const text = JSON.stringify(state, null, 2);
    chain = chain.then(() => writeFileAtomic(file, text, 0o600)).catch((err: unknown) => log.error({ err: (err as Error).message, file }, 'cannot persist the route table'));
    return chain;
  };
}

function tokenOf(file: string | undefined): string {
  if (!file) {
    throw new ConfigError('proxy options', [{ path: 'tokenFile', message: 'an admin port needs a token file', hint: 'pass --token-file <path>; it is created with a random token if missing' }]);
  }
  return ensureTokenFile(file);
}
