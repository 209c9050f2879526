/**
 * A real control plane for controller tests: the in-process proxy on a free
 * port, a SqliteStore and LocalProvider (or, with `docker`, the engine's
 * DockerProvider running an image of the test app) in a temp state dir, the real
 * InstanceManager running test/helpers/apps/server.mjs, and the Controller.
 * `restartController()` drops the controller and its runtime without stopping
 * anything (as after kill -9) and starts new ones on the same state dir.
 */
import { silentLogger } from '../../../src/shared/log.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.ts';
import type { CutoverConfig } from '../../../src/config/schema.ts';
import { createProxy, type Proxy } from '../../../src/proxy/proxy.ts';
import { Controller } from '../../../src/rollout/controller.ts';
import type { MigrationHooks, TrafficRouter } from '../../../src/rollout/interfaces.ts';
import { startAdminServer, type AdminServer } from '../../../src/proxy/admin-server.ts';
import { ProxyAdminClient } from '../../../src/proxy/admin-client.ts';
import type { RolloutStatus, Verdict } from '../../../src/rollout/types.ts';
import { InstanceManager } from '../../../src/runtime/instance-manager.ts';
import { LocalProvider } from '../../../src/runtime/local/local-provider.ts';
import { SqliteStore } from '../../../src/store/sqlite-store.ts';
import { openRuntimeProvider } from '../../../src/engine/runtime-provider.ts';
import { rolloutFlags } from '../../../src/engine/rollout-flags.ts';
import { FlagService } from '../../../src/flags/service.ts';
import { serverCommand } from '../../helpers/apps/paths.ts';
import { freePort } from '../../helpers/engine.ts';
import { waitFor } from '../../helpers/wait.ts';

export { freePort };

export interface HarnessOptions {
  /** Extra fields for service `web` (replicas, strategy...). */
  service?: Record<string, unknown>;
  migrations?: MigrationHooks;
  /** Drive the proxy through its admin HTTP API (ProxyAdminClient), as `cutover up` does. */
  viaAdmin?: boolean;
  /** The controller's settleMs after a restart; default 3000. */
  settleMs?: number;
  /** Run `web` as containers of `image` (listening on `port` inside) on this Docker Engine, instead of local processes. */
  docker?: { host: string; network?: string; image: string; port: number };
  /** The controller's hook for every analysis verdict. */
  onMeasurement?: (service: string, verdict: Verdict) => void;
  /** Serve flags from the harness's store (a FlagService, as `cutover up` does), for setFlag steps. */
  flags?: boolean;
}

export class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), 'cutover-ctl-'));
  readonly proxy: Proxy = createProxy({ listenerDrainMs: 500 });
  config!: CutoverConfig;
  listen = 0;
  store!: SqliteStore;
  runtime!: InstanceManager;
  controller!: Controller;
  /** With `flags`: the flag service over the same store (replaced on a controller restart, as after kill -9). */
  flags!: FlagService;
  private readonly managers: InstanceManager[] = [];
  private admin: { server: AdminServer; client: ProxyAdminClient } | undefined;
  router: TrafficRouter = this.proxy;

  constructor(private readonly opts: HarnessOptions = {}) {}

  async start(): Promise<this> {
    this.listen = await freePort();
    this.config = parseConfig({
      stateDir: this.dir,
      ...(this.opts.docker ? { runtime: { docker: { host: this.opts.docker.host, ...(this.opts.docker.network ? { network: this.opts.docker.network } : {}) } } } : {}),
      services: {
        web: {
          listen: this.listen,
          ...(this.opts.docker ? { image: this.opts.docker.image, port: this.opts.docker.port } : { run: serverCommand() }),
          replicas: 2,
          readiness: { path: '/healthz', interval: '100ms', timeout: '500ms' },
          shutdown: { drainTimeout: '2s', killAfter: '1s' },
          progressDeadlineSeconds: 20,
          ...this.opts.service,
        },
      },
    });
    if (this.opts.viaAdmin) {
      const server = await startAdminServer(this.proxy, { token: 'test-token' });
      const client = new ProxyAdminClient({ url: server.url, token: 'test-token' });
      this.admin = { server, client };
      this.router = client;
    }
    await this.startController();
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listen}`;
  }

  status(): RolloutStatus {
    return this.controller.status('web')[0]!;
  }

  async startController(): Promise<void> {
    this.store = new SqliteStore({ stateDir: this.dir });
    const { provider, images } = this.opts.docker ? await openRuntimeProvider(this.config, silentLogger) : { provider: new LocalProvider({ stateDir: this.dir, adoptPollMs: 100 }), images: undefined };
    this.runtime = new InstanceManager({ provider });
    this.managers.push(this.runtime);
    if (this.opts.flags) this.flags = new FlagService({ store: this.store });
    this.controller = new Controller({ config: this.config, store: this.store, router: this.router, runtime: this.runtime, intervalMs: 100, settleMs: this.opts.settleMs ?? 3000, ...(this.opts.migrations ? { migrations: this.opts.migrations } : {}), ...(images ? { images } : {}), ...(this.opts.onMeasurement ? { onMeasurement: this.opts.onMeasurement } : {}), ...(this.opts.flags ? { flags: rolloutFlags(this.flags) } : {}) });
    await this.controller.start();
  }

  /**
   * As after kill -9 of the controller: stop its loop and probes, leave processes and proxy as they are.
   * `meanwhile` runs while no controller runs (e.g. to change an instance nobody probes).
   */
  async restartController(meanwhile?: () => Promise<void>): Promise<void> {
    await this.controller.stop();
    await this.runtime.close();
    this.store.close();
    await meanwhile?.();
    await this.startController();
  }

  pids(revision?: number): number[] {
    return this.runtime.list({ service: 'web', ...(revision !== undefined ? { revision } : {}) }).map((i) => i.record.pid).sort((a, b) => a - b);
  }

  async until(cond: () => boolean, label: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(cond, label, { timeoutMs, everyMs: 50, context: () => `status: ${JSON.stringify(this.status())}` });
  }

  async destroy(): Promise<void> {
    await this.controller.stop().catch(() => {});
    const kill = { signal: 'SIGKILL' as const, killAfterMs: 500 };
    await Promise.all(this.runtime.list().map((i) => this.runtime.stop(i.id, kill).catch(() => {})));
    for (const m of this.managers) await m.close().catch(() => {});
    if (this.admin) {
      await this.admin.client.close();
      await this.admin.server.close();
    }
    await this.proxy.close(500);
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
