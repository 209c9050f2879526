/**
 * The control plane of `cutover up`: one reconcile loop per service over a
 * durable store, a traffic router (the proxy) and an instance runtime. API
 * calls validate at once, queue an intent and resolve after the tick that
 * applied it. `stop()` leaves the proxy and every instance running; a new
 * Controller on the same store adopts them and carries on.
 */
import type { CutoverConfig, ServiceConfig } from '../config/schema.ts';
import { silentLogger, type Logger } from '../shared/log.ts';
import type { NewRevision, Store } from '../store/store.ts';
import { dryRun, type DryRunStep } from './dry-run.ts';
import { planSpec } from './spec.ts';
import { ControllerNotStartedError, DeployHookFailedError, ImagesNotSupportedError, InstanceNotFoundError, MigrationHookError, MigrationsNotConfiguredError, ServiceNotFoundError, UnknownVariantError } from './errors.ts';
import type { Intent } from './intents.ts';
import type { Verdict } from '../store/records.ts';
import { checkIntent } from './intents.ts';
import type { ImageResolver, InstanceRuntime, ManagedInstance, MigrationHooks, RolloutFlags, TrafficRouter } from './interfaces.ts';
import { routedUpstreams } from './instances.ts';
import { buildRevision, imageName, wantedImage, type ImageSource, type PinnedImage } from './revision.ts';
import { RoutePublisher } from './route-publisher.ts';
import { ServiceReconciler } from './reconcile.ts';
import { experimentReportFor, shadowReport, type ShadowReport } from './traffic-reports.ts';
import { initialState, inProgress, startRollout, type MigrationState, type RolloutState, type UnreachableHost } from './state.ts';
import { resolveUndo } from './undo.ts';
import type { ControlPlane, DeployRequest, InstanceStatus, Revision, RolloutEvent, RolloutStatus, ServiceCertificate } from './types.ts';
import type { ServiceStats } from '../proxy/contract.ts';
import { tailLines } from '../runtime/logs.ts';
import { runDeployHook } from './deploy-hooks.ts';

export interface ControllerOptions {
  config: CutoverConfig;
  store: Store;
  router: TrafficRouter;
  runtime: InstanceRuntime;
  logger?: Logger;
  migrations?: MigrationHooks;
  /** Reconcile tick; default 250 ms (runtime changes also trigger a tick at once). */
  intervalMs?: number;
  /** Relative `cwd` in deploy requests resolves against this; default process.cwd(). */
  baseDir?: string;
  /** After a restart, how long to wait for the first probe of adopted instances the proxy did not route to before acting; default 5 s. */
  settleMs?: number;
  /** Called with every analysis measurement's verdict (the control API's metrics count them). */
  onMeasurement?: (service: string, verdict: Verdict) => void;
  /** Pulls and pins images (docker runtime); without it, a revision with an image cannot be created. */
  images?: ImageResolver;
  /** The flags canary setFlag steps change (cutover up passes its FlagService's); without it such a step aborts. */
  flags?: RolloutFlags;
  /** With `hosts:`: the hosts that do not answer now; a rollout in progress holds while there are any. */
  unreachableHosts?: () => UnreachableHost[];
  /** With `hosts:`, how many (the config's counts are already totals; canaries come one per host). */
  hostCount?: number;
}

export class Controller implements ControlPlane {
  private readonly opts: ControllerOptions;
  private readonly logger: Logger;
  private readonly loops = new Map<string, ServiceReconciler>();
  private timer: NodeJS.Timeout | undefined;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly onChange = (inst: ManagedInstance): void => this.loops.get(inst.record.service)?.onInstanceChange(inst);

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Loads or creates each service's state, adopts recorded instances, and starts the loops. */
  async start(): Promise<void> {
    if (this.loops.size > 0) return;
    const names = Object.keys(this.opts.config.services);
    const publisher = new RoutePublisher(this.opts.router, names, this.logger);
    for (const name of names) {
      const state = this.opts.store.getRollout(name) ?? (await this.bootstrap(name));
      const loop = new ServiceReconciler(name, state, {
        config: () => this.serviceConfig(name),
        store: this.opts.store,
        runtime: this.opts.runtime,
        router: this.opts.router,
        publisher,
        hooks: this.opts.migrations,
        logger: this.logger,
        settleMs: this.opts.settleMs ?? 5_000,
        onMeasurement: this.opts.onMeasurement,
        flags: this.opts.flags,
        baseDir: this.opts.baseDir ?? process.cwd(),
        unreachableHosts: this.opts.unreachableHosts,
        hostCount: this.opts.hostCount,
      });
      this.loops.set(name, loop);
    }
    for (const gone of this.opts.store.listRollouts().filter((r) => !names.includes(r.service))) {
      const n = this.opts.store.listInstances({ service: gone.service }).length;
      this.logger.warn({ service: gone.service, instances: n }, 'service is in the state but not in the config; its instances are left as they are');
    }
    const routed = await this.routedUpstreams();
    this.opts.runtime.on('change', this.onChange);
    for (const loop of this.loops.values()) loop.adopt(routed);
    this.timer = setInterval(() => this.loops.forEach((l) => void l.kick()), this.opts.intervalMs ?? 250);
    this.timer.unref();
    await Promise.all([...this.loops.values()].map((l) => l.kick()));
  }

  /** Stops the loops (waiting for drains in flight); the proxy and instances keep running. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    // Keep listening while the loops wind down: an instance restarted during a drain gets a new pid that must be recorded.
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    this.opts.runtime.off('change', this.onChange);
    this.loops.clear();
  }

  status(service?: string): RolloutStatus[] {
    if (service !== undefined) return [this.loop(service).status];
    return [...this.loops.values()].map((l) => l.status);
  }

  async deploy(service: string, req: DeployRequest): Promise<RolloutStatus> {
    return this.exclusive(service, async () => {
      const loop = this.loop(service);
      const cfg = this.serviceConfig(service);
      checkIntent(loop.state, { type: 'deploy', revision: 0, strategy: 'rolling', migration: null, reason: '' });
      const s = loop.state;
      const current = this.currentRevision(service, s);
      // Before anything else: a pull failure fails the deploy while traffic still goes where it went.
      const pinned = await this.pinImage(service, wantedImage(cfg, req, current, service, this.opts.baseDir));
      const draft = buildRevision(service, cfg, req, current, Date.now(), this.opts.baseDir, pinned);
      const pre = cfg.hooks?.preDeploy;
      if (pre) {
        const next = this.nextRevisionNumber(service);
        const ran = await runDeployHook('preDeploy', pre, { service, revision: next, version: draft.version, baseDir: this.opts.baseDir ?? process.cwd() });
        if (!ran.ok) throw new DeployHookFailedError(service, ran.message);
        this.logger.info({ service, revision: next }, ran.message);
      }
      return this.withMigration(service, draft.migration, (migration) => {
        const rev = this.opts.store.createRevision(draft);
        this.prune(service, cfg, s, rev.number);
        const reason = `deploy ${rev.version} (revision ${rev.number}) with ${rev.strategy}`;
        return loop.request({ type: 'deploy', revision: rev.number, strategy: rev.strategy, migration, reason });
      });
    });
  }

  /**
   * `deploy --dry-run`: the revision a deploy would create and the transitions
   * its rollout would go through, computed by the same planners, changing nothing.
   */
  dryRun(service: string, req: DeployRequest): { revision: NewRevision & { number: number }; steps: DryRunStep[] } {
    const loop = this.loop(service);
    const cfg = this.serviceConfig(service);
    const current = this.currentRevision(service, loop.state);
    const source = wantedImage(cfg, req, current, service, this.opts.baseDir);
    const draft = buildRevision(service, cfg, req, current, Date.now(), this.opts.baseDir, source ? { image: imageName(source), digest: '(pinned when deployed)' } : undefined);
    const number = this.nextRevisionNumber(service);
    const steps = dryRun(planSpec(cfg, draft.strategy, this.opts.hostCount), loop.state, number, draft.strategy, Date.now());
    return { revision: { ...draft, number }, steps };
  }

  /** The number the store will give the service's next revision (pruning removes only the oldest ones). */
  private nextRevisionNumber(service: string): number {
    return (this.opts.store.listRevisions(service).at(-1)?.number ?? 0) + 1;
  }

  async promote(service: string, opts: { full?: boolean; variant?: string } = {}): Promise<RolloutStatus> {
    const loop = this.loop(service);
    if (opts.variant !== undefined) {
      const variants = Object.keys(planSpec(this.serviceConfig(service), loop.state.strategy).strategy.experiment?.variants ?? {});
      if (loop.state.strategy !== 'experiment' || !variants.includes(opts.variant)) throw new UnknownVariantError(service, opts.variant, loop.state.strategy === 'experiment' ? variants : []);
    }
    return loop.request({ type: 'promote', full: opts.full === true, ...(opts.variant !== undefined ? { variant: opts.variant } : {}) });
  }

  async abort(service: string): Promise<RolloutStatus> {
    return this.loop(service).request({ type: 'abort' });
  }

  async retry(service: string): Promise<RolloutStatus> {
    return this.exclusive(service, async () => {
      const loop = this.loop(service);
      const probe: Intent = { type: 'retry', migration: null };
      checkIntent(loop.state, probe);
      const rev = this.opts.store.getRevision(service, loop.state.canary!);
      return this.withMigration(service, rev?.migration, (migration) => loop.request({ type: 'retry', migration }));
    });
  }

  async pause(service: string): Promise<RolloutStatus> {
    return this.loop(service).request({ type: 'pause' });
  }

  async resume(service: string): Promise<RolloutStatus> {
    return this.loop(service).request({ type: 'resume' });
  }

  async undo(service: string, opts: { toRevision?: number } = {}): Promise<RolloutStatus> {
    return this.exclusive(service, async () => {
      const loop = this.loop(service);
      const intent = resolveUndo(loop.state, this.opts.store.listRevisions(service), this.serviceConfig(service), opts.toRevision, Date.now());
      return loop.request(intent);
    });
  }

  /** `cutover shadow report`: what comparing the shadow's answers with the users' found so far. */
  async shadowReport(service: string): Promise<ShadowReport> {
    const loop = this.loop(service);
    const stats = (await this.opts.router.stats()).find((s) => s.service === service);
    return shadowReport(loop.state, stats);
  }

  /** `cutover experiment report`: users, conversions and the significance of each goal's difference per variant. */
  async experimentReport(service: string): Promise<ReturnType<typeof experimentReportFor>> {
    const loop = this.loop(service);
    const stats = (await this.opts.router.stats()).find((s) => s.service === service);
    return experimentReportFor(loop.state, stats, planSpec(this.serviceConfig(service), 'experiment').strategy.experiment);
  }

  history(service: string): Revision[] {
    this.serviceConfig(service);
    return this.opts.store.listRevisions(service);
  }

  events(opts: { service?: string; sinceId?: number; limit?: number } = {}): RolloutEvent[] {
    if (opts.service !== undefined) this.serviceConfig(opts.service);
    return this.opts.store.listEvents(opts);
  }

  instances(service?: string): InstanceStatus[] {
    if (service !== undefined) this.serviceConfig(service);
    return this.opts.runtime
      .list(service === undefined ? undefined : { service })
      .filter((i) => i.state !== 'stopped')
      .map(instanceStatus);
  }

  async instanceLog(service: string, id: string, lines: number): Promise<string[]> {
    const inst = this.opts.runtime.list({ service }).find((i) => i.id === id);
    if (!inst) throw new InstanceNotFoundError(service, id);
    return tailLines(inst.record.logFile, lines).catch(() => []);
  }

  async trafficStats(): Promise<ServiceStats[]> {
    return this.opts.router.stats();
  }

  /**
   * The certificates the proxy serves for each HTTPS service now: those on the service's ports loaded from its
   * `tls.certFile`. The proxy reads the files (keys included); the controller only asks it what it serves.
   */
  async certificates(service?: string): Promise<ServiceCertificate[]> {
    const names = service === undefined ? Object.keys(this.opts.config.services) : [service];
    const wanted = names.flatMap((name) => {
      const cfg = this.serviceConfig(name);
      return cfg.tls ? [{ name, certFile: cfg.tls.certFile, ports: [cfg.listen, cfg.strategy.blueGreen?.previewPort] }] : [];
    });
    if (wanted.length === 0 || !this.opts.router.certificates) return [];
    const served = await this.opts.router.certificates();
    return wanted.flatMap((w) => served.filter((c) => c.certFile === w.certFile && w.ports.includes(c.port)).map((c) => ({ service: w.name, ...c })));
  }

  /**
   * What the proxy routes to now (it outlived the previous controller): adopted
   * instances found there stay routed until their own probes fail. Without it,
   * adopted instances wait for their first probe, as on a fresh proxy.
   */
  private async routedUpstreams(): Promise<Set<string>> {
    try {
      return routedUpstreams(await this.opts.router.routes());
    } catch (err) {
      this.logger.warn({ err }, "could not read the proxy's routes; adopted instances are routed once their first probe passes");
      return new Set();
    }
  }

  /**
   * Pulls the image where instances run if it is missing, or builds it there (`build:`), with progress in the log,
   * and pins it by digest.
   */
  private async pinImage(service: string, source: ImageSource | undefined): Promise<PinnedImage | undefined> {
    if (!source) return undefined;
    const image = imageName(source);
    const images = this.opts.images;
    if (!images || ('build' in source && !images.buildImage)) throw new ImagesNotSupportedError(service, image);
    const log = (what: string) => (line: string) => this.logger.info({ service, image }, `${what}: ${line}`);
    const pinned = 'build' in source ? await images.buildImage!(source.build, log('build')) : await images.pullImage(source.pull, log('pull'));
    this.logger.info({ service, image, digest: pinned.digest }, 'image ready');
    return pinned;
  }

  /** First start of a service: its revision 1 from the config, started directly. */
  private async bootstrap(name: string): Promise<RolloutState> {
    const cfg = this.serviceConfig(name);
    const now = Date.now();
    const pinned = await this.pinImage(name, wantedImage(cfg, { version: cfg.version }, undefined, name, this.opts.baseDir));
    const draft = buildRevision(name, cfg, { version: cfg.version, ...(cfg.migration ? { migration: cfg.migration } : {}) }, undefined, now, this.opts.baseDir, pinned);
    const migration = draft.migration && this.opts.migrations ? await this.startMigration(draft.migration) : null;
    const rev = this.opts.store.createRevision(draft);
    const state = { ...startRollout(initialState(name, now), rev.number, rev.strategy, now), migration, ...(migration ? { revisionEnv: { [rev.number]: migration.env } } : {}) };
    this.opts.store.saveRollout(state, [{ service: name, time: now, type: 'RolloutStarted', reason: `initial revision ${rev.version} from the config`, revision: rev.number }]);
    return state;
  }

  /**
   * Starts `file`'s migration (if any) for an intent. If the intent is then refused or never persisted (the
   * controller stopping meanwhile, a store error), no rollout state names the migration, so nothing would ever
   * complete or roll it back, and it would block every later one: it is rolled back here before the error is returned.
   */
  private async withMigration(service: string, file: string | undefined, request: (m: MigrationState | null) => Promise<RolloutStatus>): Promise<RolloutStatus> {
    const migration = file ? await this.startMigration(file) : null;
    try {
      return await request(migration);
    } catch (err) {
      if (migration) {
        await this.opts.migrations!.rollback(migration.file).then(
          () => this.logger.warn({ service, migration: migration.file }, 'intent not applied: its migration was rolled back'),
          (rbErr: unknown) => this.logger.error({ service, migration: migration.file, err: rbErr }, 'intent not applied and its migration could not be rolled back; run `cutover migrate rollback`'),
        );
      }
      throw err;
    }
  }

  private async startMigration(file: string): Promise<MigrationState> {
    if (!this.opts.migrations) throw new MigrationsNotConfiguredError(file);
    try {
      const { env } = await this.opts.migrations.start(file);
      return { file, step: 'started', env };
    } catch (err) {
      throw new MigrationHookError('start', file, err);
    }
  }

  /** The revision whose fields a deploy inherits: the one rolling out, else the stable one. */
  private currentRevision(service: string, s: RolloutState): Revision | undefined {
    const n = inProgress(s) ? s.canary : (s.stable ?? s.canary);
    return n === null ? undefined : this.opts.store.getRevision(service, n);
  }

  private prune(service: string, cfg: ServiceConfig, s: RolloutState, created: number): void {
    const protect = [s.stable, s.canary, s.old, created].filter((n): n is number => n !== null);
    this.opts.store.pruneRevisions(service, cfg.revisionHistoryLimit, protect);
  }

  /** Deploy, retry and undo of one service run one at a time (they await migration hooks between check and apply). */
  private exclusive<T>(service: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(service) ?? Promise.resolve()).then(fn);
    this.locks.set(service, run.catch(() => undefined));
    return run;
  }

  private loop(service: string): ServiceReconciler {
    this.serviceConfig(service);
    const loop = this.loops.get(service);
    if (!loop) throw new ControllerNotStartedError();
    return loop;
  }

  private serviceConfig(service: string): ServiceConfig {
    // hasOwn: a name like "constructor" or "__proto__" must not find Object.prototype members.
    const services = this.opts.config.services;
    const cfg = Object.hasOwn(services, service) ? services[service] : undefined;
    if (!cfg) throw new ServiceNotFoundError(service, Object.keys(this.opts.config.services));
    return cfg;
  }
}

function instanceStatus(i: ManagedInstance): InstanceStatus {
  const r = i.record;
  return { id: i.id, service: r.service, revision: r.revision, version: r.version, pid: r.pid, host: r.host, port: r.port, state: i.state, ready: i.ready, restarts: i.restarts, startedAt: r.startedAt };
}
