/**
 * `cutover up`: the embedded single-machine engine. It owns the state dir,
 * runs the proxy in its own process, the instances as local processes, the
 * controller and the control API in this process. Stopping it with
 * `leaveRunning` (or a kill -9) leaves traffic flowing; a new engine on the
 * same state dir re-attaches to the proxy and re-adopts the instances.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server.ts';
import { ControllerMetrics } from '../api/controller-metrics.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { CutoverConfig } from '../config/schema.ts';
import type { ProxyLimits } from '../config/proxy-limits-schema.ts';
import { checkTlsFiles } from '../config/tls-check.ts';
import { ConfigError } from '../errors.ts';
import { FlagService } from '../flags/service.ts';
import { rolloutFlags } from './rollout-flags.ts';
import { Dispatcher } from '../notify/dispatcher.ts';
import { resolveWebhooks } from '../notify/webhook.ts';
import { Controller } from '../rollout/controller.ts';
import { InstanceManager } from '../runtime/instance-manager.ts';
import type { Logger } from '../shared/log.ts';
import { ensureToken, tokenPath } from '../shared/token.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { postgresMigrationHooks } from './migration-hooks.ts';
import { openRuntimeProvider, stopOptionsFor } from './runtime-provider.ts';
import { ProxySupervisor } from './proxy-supervisor.ts';
import type { DataPlane } from './data-plane.ts';
import { scaleForHosts } from '../config/hosts-scale.ts';
import { ensureStateDir, lockStateDir } from './state-dir.ts';

export interface EngineParts {
  controller: Controller;
  runtime: InstanceManager;
  store: SqliteStore;
  proxy: DataPlane;
  api: FastifyInstance;
  apiUrl: string;
  flags: FlagService;
  notifier: Dispatcher;
}

export class Engine {
  private constructor(
    private readonly config: CutoverConfig,
    readonly parts: EngineParts,
    private readonly unlock: () => void,
    private readonly logger: Logger,
  ) {}

  static async start(loaded: LoadedConfig, logger: Logger): Promise<Engine> {
    // With `hosts:`, counts in the file are per host; the controller plans the totals.
    const config = scaleForHosts(loaded.config);
    checkCertificates(loaded, logger);
    // Secrets are read first: a hook that cannot sign stops `up` before anything starts.
    const webhooks = resolveWebhooks(config.notifications, loaded.baseDir, process.env, logger, loaded.file);
    ensureStateDir(config.stateDir);
    const unlock = lockStateDir(config.stateDir);
    const started: Partial<EngineParts> = {};
    try {
      const token = ensureToken(config.stateDir);
      const { provider, images, removeStrays, dataPlane } = await openRuntimeProvider(config, logger);
      const proxy = (started.proxy = dataPlane ?? proxyProcess(config.stateDir, logger, config.proxy.limits));
      const attached = !(await proxy.ensure());
      logger.info({ ...proxy.describe(), attached }, attached ? 'attached to the running proxy' : 'started the proxy');
      const store = (started.store = new SqliteStore({ stateDir: config.stateDir }));
      const runtime = (started.runtime = new InstanceManager({ provider, logger }));
      const databaseUrl = process.env.DATABASE_URL;
      let metrics: ControllerMetrics | undefined;
      // Flags before the controller: a resumed rollout's setFlag step may change them on its first tick.
      const flags = (started.flags = new FlagService({ store }));
      const applied = flags.syncConfig(config.flags);
      if (applied.length) logger.info({ flags: applied.map((e) => e.name) }, 'applied the flags cutover.yaml changed');
      const controller = (started.controller = new Controller({
        config,
        store,
        router: proxy,
        runtime,
        logger,
        baseDir: loaded.baseDir,
        onMeasurement: (service, verdict) => metrics?.recordMeasurement(service, verdict),
        flags: rolloutFlags(flags),
        unreachableHosts: () => proxy.unreachable(),
        ...(config.hosts ? { hostCount: config.hosts.length } : {}),
        ...(images ? { images } : {}),
        ...(databaseUrl ? { migrations: postgresMigrationHooks(databaseUrl, loaded.baseDir) } : {}),
      }));
      await controller.start();
      const strays = await removeStrays?.(new Set(runtime.list().map((i) => i.id)), stopOptionsFor(config));
      if (strays?.length) logger.warn({ instances: strays }, 'removed containers no instance record names (started or exited while no controller ran)');
      warnOnConfigDrift(config, controller, logger);
      proxy.watch(() => logger.info('proxy restarted; it reloaded the last routes from its table file'));
      const notifier = (started.notifier = new Dispatcher({ store, webhooks, logger }));
      notifier.start();
      const clientToken = ensureToken(config.stateDir, 'client-token');
      const viewerToken = ensureToken(config.stateDir, 'viewer-token');
      const observability = {
        instances: () => runtime.list(),
        metricsPath: (service: string) => config.services[service]?.metrics?.path,
        proxyMetrics: () => proxy.metricsText(),
      };
      metrics = new ControllerMetrics(controller);
      const api = (started.api = buildApi({ control: controller, token, viewerToken, clientToken, flags, notifications: notifier, logger, metrics, observability }));
      const apiUrl = await api.listen({ host: config.api.host, port: config.api.port });
      return new Engine(config, { controller, runtime, store, proxy, api, apiUrl, flags, notifier }, unlock, logger);
    } catch (err) {
      // Let go of what started, but leave traffic alone: the proxy and instances may predate this run.
      await started.api?.close().catch(() => {});
      await Promise.resolve(started.notifier?.stop()).catch(() => {});
      await started.controller?.stop().catch(() => {});
      await started.runtime?.close().catch(() => {});
      try {
        if (started.runtime && started.store) persistRuntime(started.runtime, started.store);
        await started.proxy?.detach().catch(() => {});
      } finally {
        started.store?.close();
        unlock();
      }
      throw err;
    }
  }

  /**
   * Stops the control plane. With `leaveRunning` the proxy and every instance
   * keep serving (an upgrade of the controller); otherwise everything is
   * stopped gracefully: instances drained first, then the proxy.
   */
  async stop(opts: { leaveRunning: boolean }): Promise<void> {
    const { controller, runtime, store, proxy, api, notifier } = this.parts;
    try {
      await api.close();
      await controller.stop();
      // Before the store closes; events of the stop itself are delivered by the next `up`.
      await notifier.stop();
      await runtime.close();
      // close() lets a restart already under way finish, after the controller stopped listening: record final pids.
      persistRuntime(runtime, store);
      if (opts.leaveRunning) await proxy.detach();
      else await stopDataPlane(this.config, store, proxy, this.logger);
    } finally {
      // Whatever failed above, the state dir is released: a later `up` must not find it locked by a dead process.
      store.close();
      this.unlock();
    }
    this.logger.info(opts.leaveRunning ? 'controller stopped; proxy and instances left running' : 'stopped');
  }
}

/**
 * cutover.yaml describes the first revision; later ones come from deploys. An
 * edit to `run` or `cwd` is therefore not applied by restarting `up`: say so,
 * rather than ignore it silently.
 */
function warnOnConfigDrift(config: CutoverConfig, controller: Controller, logger: Logger): void {
  for (const [name, svc] of Object.entries(config.services)) {
    const stable = controller.status(name)[0]?.stableRevision;
    const rev = stable && controller.history(name).find((r) => r.number === stable.number);
    if (!rev || (rev.command === (svc.run ?? '') && rev.cwd === svc.cwd)) continue;
    logger.warn(
      { service: name, revision: rev.number, running: { run: rev.command, cwd: rev.cwd }, config: { run: svc.run, cwd: svc.cwd } },
      `services.${name} in the config differs from the running revision #${rev.number} (${rev.version}); roll it out with \`cutover deploy ${name} --version <label> --run <command> --cwd <dir>\``,
    );
  }
}

/**
 * The certificate files, checked before anything starts: a missing or unusable certificate, or one that does not
 * cover the service's hosts, stops `up` with the same words `cutover validate` uses. Key files are only checked to be
 * readable here: the proxy process is the one that reads them (and refuses a pair that does not match).
 */
function checkCertificates(loaded: LoadedConfig, logger: Logger): void {
  const { findings } = checkTlsFiles(loaded.config, { readKeys: false });
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new ConfigError(loaded.file, errors.map(({ severity: _, ...issue }) => issue));
  for (const w of findings) logger.warn({ path: w.path, file: w.value }, `${w.path}: ${w.message} (${w.hint})`);
}

/** The proxy process of a state dir, driven with its own admin token (not the control API's). */
function proxyProcess(stateDir: string, logger: Logger, limits?: ProxyLimits): ProxySupervisor {
  const token = ensureToken(stateDir, 'proxy-token');
  return new ProxySupervisor({ stateDir, token, tokenFile: tokenPath(stateDir, 'proxy-token'), logger, ...(limits ? { limits } : {}) });
}

/** Writes the runtime's current record of every live instance to the store (pids change on restart). */
function persistRuntime(runtime: InstanceManager, store: SqliteStore): void {
  for (const inst of runtime.list()) {
    if (inst.state !== 'stopped' && inst.state !== 'stopping') store.putInstance(inst.record);
  }
}

const DEFAULT_DRAIN_MS = 10_000;

/**
 * Stops the data plane in the order that fails no request: the proxy first
 * (it stops accepting and lets in-flight requests finish), then every
 * recorded instance with its service's signal and killAfter.
 */
export async function stopDataPlane(config: CutoverConfig, store: SqliteStore, proxy: DataPlane, logger: Logger): Promise<void> {
  // The proxy drains for its services' longest drainTimeout (it has them in its table); wait that long before SIGKILL.
  const drainMs = Math.max(DEFAULT_DRAIN_MS, ...Object.values(config.services).map((s) => s.shutdown.drainTimeout));
  await proxy.stop(drainMs + 5_000);
  const { provider, removeStrays } = await openRuntimeProvider(config, logger);
  const stopFor = stopOptionsFor(config);
  await Promise.all(
    store.listInstances().map(async (record) => {
      await provider.stop(record, stopFor(record.service)).catch(() => {});
      store.deleteInstance(record.id);
    }),
  );
  await removeStrays?.(new Set(), stopFor);
  await provider.detach();
}

/** `cutover down` when no controller runs: stop what the state dir says is running. */
export async function downWithoutController(loaded: LoadedConfig, logger: Logger): Promise<void> {
  const { config } = loaded;
  const unlock = lockStateDir(config.stateDir);
  const store = new SqliteStore({ stateDir: config.stateDir });
  try {
    const hosts = config.hosts ? (await openRuntimeProvider(config, logger)).dataPlane : undefined;
    await stopDataPlane(config, store, hosts ?? proxyProcess(config.stateDir, logger), logger);
  } finally {
    store.close();
    unlock();
  }
}
