/**
 * One reconcile loop per service, with one fixed shape per tick:
 * observe → gather intents → plan (pure strategy) → persist once (state +
 * events in one transaction) → converge (start instances, push routes, drain
 * and stop the ones leaving) → run a pending migration hook. The state is
 * declarative, so a tick interrupted anywhere (kill -9) is simply re-run by
 * the next controller.
 */
import type { ServiceConfig } from '../config/schema.ts';
import type { Logger } from '../shared/log.ts';
import type { Verdict } from '../store/records.ts';
import type { FlagWrite, Store } from '../store/store.ts';
import { CutoverError } from '../errors.ts';
import { InstanceEffects } from './instance-effects.ts';
import { Measurer } from './measurer.ts';
import { liveInstances, observeRevisions, pickRemovals, readyUpstreams, toStart, upstreamKey } from './instances.ts';
import { ControllerNotStartedError, FlagsNotServedError } from './errors.ts';
import { applyIntent, checkIntent, rolloutRevision, type Intent } from './intents.ts';
import type { InstanceRuntime, ManagedInstance, MigrationHooks, RolloutFlags, TrafficRouter } from './interfaces.ts';
import { observeMirror } from './mirror-observation.ts';
import { flagEvents, flagTransition, recordSets } from './rollout-flags.ts';
import { runDeployHook } from './deploy-hooks.ts';
import type { RoutePublisher } from './route-publisher.ts';
import { SerialRunner } from './serial-runner.ts';
import { instanceSpec, manageOptions, planSpec } from './spec.ts';
import { envFor, inProgress, type Observed, type Plan, type PlannedEvent, type PlanSpec, type RolloutState, type UnreachableHost } from './state.ts';
import { computeStatus, pauseEndsAt } from './status.ts';
import { planRollout } from './strategies/index.ts';
import type { RolloutStatus } from './types.ts';

export interface LoopDeps {
  config: () => ServiceConfig;
  store: Store;
  runtime: InstanceRuntime;
  router: TrafficRouter;
  publisher: RoutePublisher;
  hooks: MigrationHooks | undefined;
  logger: Logger;
  /** How long to wait for the first probe of adopted instances the proxy did not route to, before acting anyway. */
  settleMs: number;
  onMeasurement?: ((service: string, verdict: Verdict) => void) | undefined;
  /** The flags setFlag steps change; without it a setFlag step aborts its rollout. */
  flags?: RolloutFlags | undefined;
  /** Deploy hooks' relative `cwd` resolves against this (the config file's directory). */
  baseDir: string;
  /** With `hosts:`: the hosts that do not answer now (a rollout holds for them). */
  unreachableHosts?: (() => UnreachableHost[]) | undefined;
  /** With `hosts:`, how many (canaries come one per host). */
  hostCount?: number | undefined;
}

const HOOK_RETRY_MS = 5_000;

/** An intent waiting for the tick that applies it, and the caller waiting for that. */
interface QueuedIntent {
  intent: Intent;
  resolve: (status: RolloutStatus) => void;
  reject: (err: unknown) => void;
}

/** The reconcile loop of one service: applies intents, plans, persists, converges; one tick at a time. */
export class ServiceReconciler {
  state: RolloutState;
  status: RolloutStatus;
  /** Stops running postDeploy hooks when the controller stops. */
  private readonly hooks = new AbortController();
  private readonly hooksRunning = new Set<Promise<void>>();
  private readonly intents: QueuedIntent[] = [];
  private readonly runner: SerialRunner;
  private readonly effects: InstanceEffects;
  private readonly measurer: Measurer;
  private readonly pendingAdopted = new Set<string>();
  private settleUntil = 0;
  private adopting = false;
  private stopped = false;
  private hookRetryAt = 0;
  private lastObserved: Observed = { now: 0, revisions: {} };

  constructor(
    readonly service: string,
    state: RolloutState,
    private readonly deps: LoopDeps,
  ) {
    this.state = state;
    this.status = this.computeStatus(state, { now: Date.now(), revisions: {} });
    this.runner = new SerialRunner(() => this.tick(), (err) => deps.logger.error({ err, service }, 'reconcile failed; retrying on the next tick'));
    this.measurer = new Measurer({
      service,
      router: deps.router,
      versionOf: (n) => deps.store.getRevision(service, n)?.version ?? `r${n}`,
      onMeasured: () => void this.kick(),
    });
    this.effects = new InstanceEffects(service, { ...deps, onDone: () => void this.kick(), drain: (inst) => this.drainBeforeRestart(inst) });
  }

  /**
   * Re-attaches to the instances a previous controller recorded; forgets those
   * whose process is gone. Those in `routed` (upstreamKey of what the proxy
   * serves now) keep their last known readiness until their own probes fail;
   * the others count as starting until their first probe passes.
   */
  adopt(routed: ReadonlySet<string>): void {
    const cfg = this.deps.config();
    // adopt() emits change events (which kick a tick) before we know every instance: hold ticks until done.
    this.adopting = true;
    this.settleUntil = Date.now() + this.deps.settleMs;
    for (const rec of this.deps.store.listInstances({ service: this.service })) {
      const rev = this.deps.store.getRevision(this.service, rec.revision);
      const opts = rev ? manageOptions(cfg, instanceSpec(rev, envFor(this.state, rev.number)), (i) => this.drainBeforeRestart(i)) : null;
      // Marked first: the runtime reports an instance adopted as ready at once, and that is not news.
      this.effects.markAdopted(rec.id);
      const inst = rev && opts ? this.deps.runtime.adopt(rec, { ...opts, lastKnownReady: routed.has(upstreamKey(rec)) }) : null;
      if (inst?.state === 'starting') this.pendingAdopted.add(inst.id);
      if (inst) continue;
      this.effects.unmarkAdopted(rec.id);
      this.deps.store.deleteInstance(rec.id);
      this.record([{ type: 'InstanceLost', reason: `instance ${rec.id} (pid ${rec.pid}) is gone; it will be replaced`, revision: rec.revision }]);
    }
    this.adopting = false;
  }

  kick(): Promise<void> {
    return this.runner.kick();
  }

  /**
   * Validates at once (throws a typed error), then resolves only once a tick
   * has applied and persisted the intent (ticks wait while adopted instances
   * settle after a restart), with `rolloutRevision` set for deploy, undo and
   * retry; rejects if applying it failed, or if the loop stops first.
   */
  async request(intent: Intent): Promise<RolloutStatus> {
    if (this.stopped) throw new ControllerNotStartedError();
    checkIntent(this.state, intent);
    return new Promise((resolve, reject) => {
      this.intents.push({ intent, resolve, reject });
      void this.kick();
    });
  }

  onInstanceChange(inst: ManagedInstance): void {
    this.effects.onChange(inst);
    void this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.hooks.abort();
    await Promise.all(this.hooksRunning);
    this.measurer.stop();
    await this.runner.stop();
    for (const q of this.intents.splice(0)) q.reject(new ControllerNotStartedError());
    await this.effects.settle();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const cfg = this.deps.config();
    const live = liveInstances(this.deps.runtime.list({ service: this.service }), this.effects.removing);
    if (!this.settled(live, now)) return;
    const observed: Observed = { now, revisions: observeRevisions(live) };
    const down = this.deps.unreachableHosts?.() ?? [];
    if (down.length > 0) observed.unreachableHosts = down;
    const measurements = this.measurer.take();
    if (measurements.length > 0) observed.measurements = measurements;
    const mirror = await observeMirror(this.deps.router, this.state);
    if (mirror) observed.mirror = mirror;
    // Every verdict counts (the controller's metrics), whichever run or strategy it belongs to.
    for (const m of measurements) this.deps.onMeasurement?.(this.service, m.measurement.phase);

    const queued = this.intents.splice(0);
    const revisions = new Map<QueuedIntent, number | undefined>();
    try {
      let state = this.state;
      const events: PlannedEvent[] = [];
      for (const q of queued) {
        revisions.set(q, rolloutRevision(state, q.intent));
        const r = applyIntent(state, q.intent, now);
        state = r.state;
        events.push(...r.events);
      }
      const spec = planSpec(cfg, state.strategy, this.deps.hostCount);
      const plan = this.withFlags(this.state, state, planRollout({ spec, state, observed }), spec, observed);
      this.persist(plan.state, [...events, ...plan.events], observed, plan.write);
      if (plan.write) this.deps.flags?.adopt();
      for (const e of plan.events) if (e.type === 'RolloutCompleted' && e.revision !== undefined) this.postDeploy(cfg, e.revision);
      this.measurer.schedule(this.state, spec, now);
    } catch (err) {
      // Nothing was persisted: the intents are dropped and their callers get the error.
      for (const q of queued) q.reject(err);
      throw err;
    }
    try {
      await this.converge(cfg, live, now);
      await this.runMigrationHook(now);
    } finally {
      // The status users see changes only now, once the routes of the new state are live: a `--wait` that reads
      // "completed" must never see the old revision still taking requests. (The state itself was persisted first.)
      this.status = this.computeStatus(this.state, this.lastObserved);
      // Applied and persisted: converging is retried by later ticks whatever happened here.
      for (const q of queued) {
        const n = revisions.get(q);
        q.resolve(n === undefined ? this.status : { ...this.status, rolloutRevision: n });
      }
    }
  }

  /** Starts what is missing, pushes routes without the leaving instances, then drains and stops them. */
  private async converge(cfg: ServiceConfig, live: ManagedInstance[], now: number): Promise<void> {
    const { desired } = this.state;
    const removals = pickRemovals(live, desired.scale, now);
    for (const [number, count] of toStart(live, removals, desired.scale)) {
      const rev = this.deps.store.getRevision(this.service, number);
      if (!rev) continue;
      await this.effects.start(rev, count, cfg, envFor(this.state, number));
    }
    this.effects.mark(removals);
    const afterStarts = this.deps.runtime.list({ service: this.service });
    const flags = this.deps.flags;
    // Flag rules carry the flag's current definition: a flag change reaches the proxy with the next tick's push.
    const flagDocument = flags && desired.match.some((m) => 'flag' in m) ? (name: string) => flags.document(name) : undefined;
    const published = await this.deps.publisher.publish({ name: this.service, cfg, desired, versions: this.versions(), ready: readyUpstreams(afterStarts, this.effects.removing), ...(flagDocument ? { flagDocument } : {}) });
    if (published) this.effects.remove(removals, cfg);
    else this.effects.unmark(removals);
  }

  /**
   * The flag changes of a transition (rollout-flags.ts): setFlag steps it passed, flags put back when the revision
   * that set them stopped serving. Prepared here, written by persist() with the state. A setFlag the flags refuse
   * (no such flag, an ambiguous rollout) aborts the rollout instead of the transition that passed it, which puts back
   * what the rollout set before. `input` is the state the planner started from.
   */
  private withFlags(prev: RolloutState, input: RolloutState, plan: Plan, spec: PlanSpec, observed: Observed): Plan & { write?: FlagWrite } {
    const t = flagTransition(prev, plan.state, plan.flags ?? []);
    const state: RolloutState = { ...plan.state, flagChanges: t.kept };
    if (t.kept.length === 0) delete state.flagChanges;
    if (!t.restore && t.sets.length === 0) return { state, events: plan.events };
    const changes = [...Object.entries(t.restore ?? {}).map(([name, restore]) => ({ name, restore })), ...t.sets];
    // The rollout that passed the steps (after its last step the plan has already made it stable).
    const revision = input.canary ?? plan.state.stable ?? undefined;
    try {
      if (!this.deps.flags) throw new FlagsNotServedError(this.service);
      const prepared = this.deps.flags.prepare(changes, `rollout:${this.service}`, `revision ${revision}`);
      if (t.sets.length > 0 && revision !== undefined) state.flagChanges = recordSets(t.kept, revision, t.sets, prepared.before, t.restore);
      return { state, events: [...plan.events, ...flagEvents(t, revision)], write: { change: prepared.change, events: prepared.events } };
    } catch (err) {
      if (!(err instanceof CutoverError)) throw err;
      if (t.sets.length === 0) {
        // Putting flags back failed (a definition no longer valid): say so, and do not try again every tick.
        this.deps.logger.error({ err, service: this.service }, 'could not put the flags back');
        return { state, events: [...plan.events, { type: 'FlagRestoreFailed', reason: `${Object.keys(t.restore!).join(', ')}: ${err.message}; set them by hand (cutover flags)` }] };
      }
      const reason = `setFlag ${t.sets.map((x) => x.name).join(', ')} failed: ${err.message}`;
      const rev = input.canary !== null ? { revision: input.canary } : {};
      if (!inProgress(input) || input.stable === null) {
        // Nothing to abort to: hold the rollout where it was for a person (fix the flag, then resume; or abort).
        const held: RolloutState = { ...input, userPaused: true, phase: 'Paused', message: `${reason}; fix the flag and \`cutover resume\`` };
        return { state: held, events: [{ type: 'FlagStepFailed', reason, ...rev }] };
      }
      const failed = applyIntent(input, { type: 'abort' }, observed.now);
      const aborted = planRollout({ spec, state: { ...failed.state, message: reason }, observed });
      const events = [{ type: 'RolloutAborted', reason, ...rev }, ...aborted.events];
      return this.withFlags(prev, input, { state: aborted.state, events }, spec, observed);
    }
  }

  /** After a rollout completed (persisted): the postDeploy hook, off the tick; its outcome is an event. */
  private postDeploy(cfg: ServiceConfig, revision: number): void {
    const hook = cfg.hooks?.postDeploy;
    if (!hook) return;
    const version = this.deps.store.getRevision(this.service, revision)?.version ?? `r${revision}`;
    const run = runDeployHook('postDeploy', hook, { service: this.service, revision, version, baseDir: this.deps.baseDir, signal: this.hooks.signal }).then((r) => {
      if (!this.stopped) this.record([{ type: r.ok ? 'PostDeploySucceeded' : 'PostDeployFailed', reason: r.message, revision }]);
      this.hooksRunning.delete(run);
    });
    this.hooksRunning.add(run);
  }

  private persist(next: RolloutState, events: PlannedEvent[], observed: Observed, flags?: FlagWrite): void {
    const key = (s: RolloutState) => JSON.stringify({ ...s, updatedAt: 0 });
    if (events.length > 0 || key(next) !== key(this.state)) {
      this.deps.store.saveRollout(next, events.map((e) => ({ ...e, service: this.service, time: observed.now })), flags);
      for (const e of events) this.deps.logger.info({ service: this.service, revision: e.revision, event: e.type }, e.reason);
    }
    this.state = next;
    this.lastObserved = observed;
  }

  private record(events: PlannedEvent[]): void {
    this.deps.store.appendEvents(events.map((e) => ({ ...e, service: this.service, time: Date.now() })));
  }

  /** Completes or rolls back the rollout's migration; retried until it succeeds. */
  private async runMigrationHook(now: number): Promise<void> {
    const m = this.state.migration;
    if (!m || (m.step !== 'completing' && m.step !== 'rollingBack') || now < this.hookRetryAt) return;
    if (this.leavingInstances() > 0) return;
    const step = m.step === 'completing' ? 'complete' : 'rollback';
    try {
      if (this.deps.hooks) await this.deps.hooks[step](m.file);
    } catch (err) {
      this.hookRetryAt = now + HOOK_RETRY_MS;
      this.record([{ type: 'MigrationHookFailed', reason: `${step} of ${m.file} failed: ${(err as Error).message}; retrying` }]);
      return;
    }
    const type = step === 'complete' ? 'MigrationCompleted' : 'MigrationRolledBack';
    this.persist({ ...this.state, migration: { ...m, step: 'done' } }, [{ type, reason: m.file }], { ...this.lastObserved, now: Date.now() });
  }

  /**
   * Instances of revisions other than the stable one, running or still being
   * drained. complete drops what the old version reads and rollback what the
   * new one reads, so a hook waits until these are all gone (blue-green: until
   * the old set is scaled down).
   */
  private leavingInstances(): number {
    const stable = this.state.stable;
    return this.deps.runtime.list({ service: this.service }).filter((i) => i.record.revision !== stable && i.state !== 'stopped').length;
  }

  /**
   * The runtime's drain hook, before it stops an instance that failed
   * liveness (already not 'ready'): routes without it first, so the proxy
   * treats a restart as a new upstream, then drain its in-flight requests.
   */
  private async drainBeforeRestart(inst: ManagedInstance): Promise<void> {
    await this.kick();
    const r = await this.deps.router.drain(inst.id, this.deps.config().shutdown.drainTimeout);
    this.deps.logger.info({ service: this.service, instance: inst.id, ...r }, 'drained before a liveness restart');
  }

  private settled(live: ManagedInstance[], now: number): boolean {
    if (this.adopting) return false;
    for (const id of this.pendingAdopted) {
      const inst = live.find((i) => i.id === id);
      if (!inst || inst.state !== 'starting') this.pendingAdopted.delete(id);
    }
    return this.pendingAdopted.size === 0 || now >= this.settleUntil;
  }

  private versions(): Record<number, string> {
    return Object.fromEntries(this.deps.store.listRevisions(this.service).map((r) => [r.number, r.version]));
  }

  private computeStatus(state: RolloutState, observed: Observed): RolloutStatus {
    const revs = this.deps.store.listRevisions(this.service);
    const stepPlan = planSpec(this.deps.config(), state.strategy).strategy.canary?.steps ?? [];
    const status = computeStatus(state, observed, (n) => revs.find((r) => r.number === n), stepPlan.length);
    return state.strategy === 'canary' ? { ...status, stepPlan, pauseEndsAt: pauseEndsAt(state, stepPlan) } : status;
  }
}
