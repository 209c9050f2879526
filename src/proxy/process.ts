import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { writeFileAtomic } from '../shared/atomic-file.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { ensureTokenFile } from '../shared/token.ts';
import { createProxy, type Proxy } from './proxy.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { loadStaticConfig } from './config.ts';
import { parseRoutesState, type RoutesState } from './contract.ts';
import type { ProxyOptions } from './options.ts';
import { TlsCertificateError } from './errors.ts';
import { listenerKey } from './route-table.ts';

export interface RunProxyOptions {
  configFile?: string;
  adminHost?: string;
  adminPort?: number;
  tokenFile?: string;
  stateFile?: string;
  tableFile?: string;
  /** PEM files: serve the admin API over HTTPS (a host's proxy, driven over the network). */
  adminTls?: { certFile: string; keyFile: string };
  /** Limits over the config file's (`--limits`); `yaml` is recorded in the state file so a controller can compare. */
  limits?: { yaml: unknown; options: Partial<ProxyOptions> };
  /** Install SIGTERM/SIGINT handlers that drain and exit (default true; tests pass false). */
  handleSignals?: boolean;
  /** How long shutdown waits for in-flight requests (default: the longest drainTimeoutMs of the services, else 10 s). */
  shutdownDrainMs?: number;
  logger?: Logger;
}

export interface RunningProxy {
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
export async function runProxyProcess(opts: RunProxyOptions): Promise<RunningProxy> {
  const log = opts.logger ?? createLogger('proxy');
  const config = opts.configFile ? loadStaticConfig(opts.configFile) : undefined;
  const proxy = createProxy({ ...(config?.options ?? {}), ...(opts.limits?.options ?? {}), logger: log } as Partial<ProxyOptions>);
  const initial = config?.state ?? readTable(opts.tableFile);
  // A static config is the operator's own start: a certificate it cannot use stops it. A persisted table is a respawn
  // that must serve what it can at once (see applyPersisted).
  if (config) await proxy.apply(config.state);
  else if (initial) await applyPersisted(proxy, initial, log);
  const persist = opts.tableFile ? tablePersister(opts.tableFile, log) : undefined;
  if (persist && initial) await persist(initial);
  let admin: AdminServer | undefined;
  if (opts.adminPort !== undefined) {
    const token = tokenOf(opts.tokenFile);
    const tls = opts.adminTls && { cert: readFileSync(opts.adminTls.certFile, 'utf8'), key: readFileSync(opts.adminTls.keyFile, 'utf8') };
    admin = await startAdminServer(proxy, { host: opts.adminHost ?? '127.0.0.1', port: opts.adminPort, token, afterApply: persist, ...(tls ? { tls } : {}) });
    log.info({ adminUrl: admin.url }, 'admin API listening');
  }
  if (opts.stateFile) await writeFileAtomic(opts.stateFile, JSON.stringify({ pid: process.pid, adminUrl: admin?.url ?? null, ...(opts.limits ? { limits: JSON.stringify(opts.limits.yaml) } : {}) }), 0o600);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await proxy.close(opts.shutdownDrainMs);
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

/**
 * A respawned proxy reloads the last table. If a certificate in it cannot be used any more (renewed badly while the
 * proxy was down), that listener is left out, with an error in the log, so every other port serves again; the
 * controller's next push brings it back once the files are fixed, and is refused with the reason until then.
 */
async function applyPersisted(proxy: Proxy, state: RoutesState, log: Logger): Promise<void> {
  let table = state;
  for (;;) {
    try {
      return await proxy.apply(table);
    } catch (err) {
      if (!(err instanceof TlsCertificateError)) throw err;
      const listener = String(err.fields.listener);
      log.error({ listener, err: err.message }, 'a listener of the persisted table cannot serve its certificate; starting without it');
      const rest = table.listeners.filter((l) => listenerKey(l) !== listener);
      if (rest.length === table.listeners.length) throw err;
      table = { ...table, listeners: rest };
    }
  }
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
