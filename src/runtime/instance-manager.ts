/**
 * What kubelet is to Kubernetes: starts instances through a RuntimeProvider,
 * probes readiness (and liveness), restarts crashed or dead-locked instances
 * in place with exponential backoff, gives up on crash loops, and stops
 * instances when told. The controller asks for instances and watches
 * 'change' events; it never touches processes.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../shared/log.ts';
import type { InstanceRecord, InstanceSpec, RuntimeProvider, StopOptions } from './provider.ts';
import { DEFAULT_RESTART_POLICY, decideRestart, isStable, type RestartPolicy } from './backoff.ts';
import type { InstanceExit, InstanceFailure, ManagedInstance, ManageOptions } from './managed-instance.ts';
import { DEFAULT_STOP, InstanceSlot } from './instance-slot.ts';
import { ProbeLoop } from './probe-loop.ts';

export type { InstanceState, ManagedInstance, ManageOptions, InstanceExit, InstanceFailure } from './managed-instance.ts';

export interface InstanceManagerOptions {
  provider: RuntimeProvider;
  logger?: Logger;
  /** Defaults for every instance (each start/adopt may override). */
  restart?: Partial<RestartPolicy>;
  /** Until an instance is first ready, readiness is probed at least this often, so new instances join promptly; default 100 ms. */
  startingProbeIntervalMs?: number;
}

export interface InstanceFilter {
  service?: string;
  revision?: number;
}

export class InstanceManager extends EventEmitter<{ change: [ManagedInstance] }> {
  readonly provider: RuntimeProvider;
  private readonly logger: Logger | undefined;
  private readonly policy: RestartPolicy;
  private readonly startingIntervalMs: number;
  private readonly slots = new Map<string, InstanceSlot>();
  private closed = false;

  constructor(opts: InstanceManagerOptions) {
    super();
    this.provider = opts.provider;
    this.logger = opts.logger;
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.restart };
    this.startingIntervalMs = opts.startingProbeIntervalMs ?? 100;
    this.provider.onExit((rec, code, signal) => this.exited(rec, { code, signal, at: Date.now() }));
  }

  /** Starts an instance and begins probing it; resolves once the process runs (state 'starting'). */
  async start(spec: InstanceSpec, opts: ManageOptions): Promise<ManagedInstance> {
    if (this.closed) throw new Error('InstanceManager.start() after close()');
    const record = await this.provider.start(spec);
    const slot = new InstanceSlot(record, opts, { ...spec, id: record.id }, this.policyFor(opts));
    this.slots.set(slot.id, slot);
    this.logger?.info({ instance: slot.id, pid: record.pid, port: record.port }, 'instance started');
    this.beginProbing(slot, this.startingIntervalMs);
    this.emitChange(slot);
    return slot.snapshot();
  }

  /** Takes over an instance a previous controller started; null when its process is gone. */
  adopt(record: InstanceRecord, opts: ManageOptions): ManagedInstance | null {
    const known = this.slots.get(record.id);
    if (known) return known.snapshot();
    if (this.closed || !this.provider.adopt(record)) return null;
    const spec = opts.spec ? { ...opts.spec, id: record.id } : undefined;
    const slot = new InstanceSlot({ ...record }, opts, spec, this.policyFor(opts));
    this.slots.set(slot.id, slot);
    this.logger?.info({ instance: slot.id, pid: record.pid, port: record.port, lastKnownReady: opts.lastKnownReady === true }, 'instance adopted');
    if (opts.lastKnownReady) this.seedReady(slot);
    this.beginProbing(slot, 0);
    this.emitChange(slot);
    return slot.snapshot();
  }

  /** Stops an instance (drain it through the proxy first). Unknown ids resolve at once; concurrent calls share one stop. */
  stop(id: string, opts: StopOptions): Promise<void> {
    const slot = this.slots.get(id);
    if (!slot) return Promise.resolve();
    slot.stopping ??= this.stopSlot(slot, opts);
    return slot.stopping;
  }

  get(id: string): ManagedInstance | undefined {
    return this.slots.get(id)?.snapshot();
  }

  list(filter: InstanceFilter = {}): ManagedInstance[] {
    return [...this.slots.values()]
      .filter((s) => (filter.service === undefined || s.record.service === filter.service) && (filter.revision === undefined || s.record.revision === filter.revision))
      .map((s) => s.snapshot());
  }

  /** Resolves with the first snapshot that satisfies `pred`; rejects after `timeoutMs` or if the instance goes away. */
  waitFor(id: string, pred: (inst: ManagedInstance) => boolean, timeoutMs: number): Promise<ManagedInstance> {
    return new Promise((resolve, reject) => {
      const check = (inst: ManagedInstance | undefined): void => {
        if (!inst || inst.state === 'stopped') return done(new Error(`instance ${id} is gone`));
        if (pred(inst)) done(undefined, inst);
      };
      const onChange = (inst: ManagedInstance): void => (inst.id === id ? check(inst) : undefined);
      const timer = setTimeout(() => done(new Error(`instance ${id}: condition not met within ${timeoutMs} ms`)), timeoutMs);
      const done = (err?: Error, inst?: ManagedInstance): void => {
        clearTimeout(timer);
        this.off('change', onChange);
        if (err) reject(err);
        else resolve(inst!);
      };
      this.on('change', onChange);
      check(this.get(id));
    });
  }

  /** Stops probing, restarting and watching; every process keeps running (adopt them again later). */
  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots.values()) {
      slot.stopProbes();
      slot.cancelBackoff?.();
    }
    await Promise.all([...this.slots.values()].map((s) => s.restarting?.catch(() => {})));
    await this.provider.detach();
  }

  private policyFor(opts: ManageOptions): RestartPolicy {
    return { ...this.policy, ...opts.restart };
  }

  private async stopSlot(slot: InstanceSlot, opts: StopOptions): Promise<void> {
    slot.stopProbes();
    slot.cancelBackoff?.();
    slot.ready = false;
    this.setState(slot, 'stopping');
    await slot.restarting?.catch(() => {});
    try {
      await this.provider.stop(slot.record, opts);
    } catch (err) {
      // Still running: keep it listed as failed so stop() can be tried again.
      slot.stopping = undefined;
      this.setState(slot, 'failed');
      throw err;
    }
    this.slots.delete(slot.id);
    this.setState(slot, 'stopped');
    this.logger?.info({ instance: slot.id, pid: slot.record.pid }, 'instance stopped');
  }

  private beginProbing(slot: InstanceSlot, firstDelayMs: number): void {
    const r = slot.opts.readiness;
    const next = (): number => (slot.state === 'starting' ? Math.min(r.intervalMs, this.startingIntervalMs) : r.intervalMs);
    slot.readiness = new ProbeLoop(() => this.provider.probe(slot.record, r), (ok) => this.readinessResult(slot, ok), next).start(firstDelayMs);
  }

  private readinessResult(slot: InstanceSlot, ok: boolean): void {
    const r = slot.opts.readiness;
    if (ok) {
      slot.failedInARow = 0;
      slot.okInARow++;
      if (isStable(slot.readySince, Date.now(), slot.policy)) slot.streak = 0;
      if (slot.ready || slot.okInARow < r.successThreshold) return;
      slot.ready = true;
      slot.readySince = Date.now();
      if (slot.crashLoop && !slot.policy.giveUpOnCrashLoop) slot.crashLoop = false;
      this.setState(slot, 'ready');
      if (!slot.liveness) this.beginLiveness(slot);
      return;
    }
    slot.okInARow = 0;
    slot.failedInARow++;
    if (!slot.ready || slot.failedInARow < r.failureThreshold) return;
    slot.ready = false;
    slot.readySince = undefined;
    this.setState(slot, 'unready');
  }

  /** An adopted instance known to be ready: ready until its own probes say otherwise, liveness-probed as before. */
  private seedReady(slot: InstanceSlot): void {
    slot.state = 'ready';
    slot.ready = true;
    slot.readySince = Date.now();
    this.beginLiveness(slot);
  }

  /** Liveness starts once the instance was first ready, so a slow start is never mistaken for a hang. */
  private beginLiveness(slot: InstanceSlot): void {
    const l = slot.opts.liveness;
    if (!l) return;
    const onResult = (ok: boolean): void => {
      slot.livenessFailedInARow = ok ? 0 : slot.livenessFailedInARow + 1;
      if (slot.livenessFailedInARow >= l.failureThreshold) {
        this.failed(slot, { reason: 'liveness', at: Date.now(), message: `${l.failureThreshold} liveness probes failed in a row` });
      }
    };
    slot.liveness = new ProbeLoop(() => this.provider.probe(slot.record, l), onResult, () => l.intervalMs).start(l.intervalMs);
  }

  private exited(rec: InstanceRecord, exit: InstanceExit): void {
    const slot = this.slots.get(rec.id);
    if (!slot || slot.record.pid !== rec.pid) return;
    slot.lastExit = exit;
    const how = exit.signal ? `signal ${exit.signal}` : exit.code === null ? 'an unknown status' : `code ${exit.code}`;
    this.failed(slot, { reason: 'exit', at: exit.at, message: `process ${rec.pid} exited with ${how}` });
  }

  /** A crash, liveness failure or failed restart: restart after the backoff, or give up on a crash loop. */
  private failed(slot: InstanceSlot, failure: InstanceFailure): void {
    if (this.closed || slot.stopping || slot.state === 'restarting' || slot.state === 'failed') return;
    slot.stopProbes();
    slot.lastFailure = failure;
    const d = decideRestart(slot.streak, slot.readySince, failure.at, slot.policy);
    slot.streak = d.streak;
    slot.crashLoop ||= d.crashLoop;
    slot.resetProbeCounters();
    this.logger?.warn({ instance: slot.id, pid: slot.record.pid, reason: failure.reason, streak: d.streak, delayMs: d.delayMs }, failure.message);
    if (d.giveUp || !slot.spec) {
      this.setState(slot, 'failed');
      if (failure.reason === 'liveness') this.track(slot, this.killQuietly(slot));
      return;
    }
    this.setState(slot, 'restarting');
    this.track(slot, this.restart(slot, failure, d.delayMs));
  }

  /** Remembers the slot's background work so stop() and close() can wait for it. */
  private track(slot: InstanceSlot, work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.logger?.error({ instance: slot.id, err }, 'restart failed'));
    slot.restarting = p;
    void p.then(() => {
      if (slot.restarting === p) slot.restarting = undefined;
    });
  }

  private async restart(slot: InstanceSlot, failure: InstanceFailure, delayMs: number): Promise<void> {
    if (failure.reason === 'liveness') await this.killQuietly(slot);
    if (this.closed || slot.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      slot.cancelBackoff = () => (clearTimeout(timer), resolve());
    });
    slot.cancelBackoff = undefined;
    if (this.closed || slot.stopping) return;
    let record: InstanceRecord;
    try {
      record = await this.provider.start(slot.spec!);
    } catch (err) {
      slot.state = 'starting'; // not 'restarting' any more, so failed() takes this as a new failure
      return this.failed(slot, { reason: 'start', at: Date.now(), message: (err as Error).message });
    }
    if (this.closed || slot.stopping) return this.provider.stop(record, slot.opts.stop ?? DEFAULT_STOP);
    slot.restarts++;
    slot.record = { ...record, restarts: slot.restarts };
    this.logger?.info({ instance: slot.id, pid: record.pid, port: record.port, restarts: slot.restarts }, 'instance restarted');
    this.setState(slot, 'starting');
    this.beginProbing(slot, this.startingIntervalMs);
  }

  /** Drains (through the controller's hook), then stops the current process; errors are logged. */
  private async killQuietly(slot: InstanceSlot): Promise<void> {
    const snap = slot.snapshot();
    await Promise.resolve(snap).then((i) => slot.opts.drain?.(i)).catch((err: unknown) => {
      this.logger?.error({ instance: slot.id, err }, 'drain before stopping an unhealthy instance failed');
    });
    await this.provider.stop(slot.record, slot.opts.stop ?? DEFAULT_STOP).catch((err: unknown) => {
      this.logger?.error({ instance: slot.id, err }, 'could not stop an unhealthy instance');
    });
  }

  private setState(slot: InstanceSlot, state: InstanceSlot['state']): void {
    slot.state = state;
    this.emitChange(slot);
  }

  private emitChange(slot: InstanceSlot): void {
    const snap = slot.snapshot();
    // A throwing listener must not break supervision of the other instances.
    for (const l of this.rawListeners('change') as Array<(i: ManagedInstance) => void>) {
      try {
        l(snap);
      } catch (err) {
        this.logger?.error({ err, instance: slot.id }, 'change listener threw');
      }
    }
  }
}
