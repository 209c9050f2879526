/**
 * The side effects on instances, in the order zero downtime needs: start new
 * ones; to remove one, it must already be out of the pushed routes, then it is
 * drained through the proxy, then stopped (signal, SIGKILL after killAfter).
 * Every change is recorded in the store so a restarted controller adopts the
 * same processes.
 */
import type { Logger } from '../shared/log.ts';
import type { Store, NewEvent } from '../store/store.ts';
import type { InstanceRuntime, ManagedInstance, ManageOptions, TrafficRouter } from './interfaces.ts';
import type { ServiceConfig } from '../config/schema.ts';
import type { Revision } from './types.ts';
import { instanceSpec, manageOptions, stopOptions } from './spec.ts';

/** After a failed start, wait this long before trying again. */
const START_BACKOFF_MS = 2_000;

export class InstanceEffects {
  /** Ids taken out of routing and on their way down. */
  readonly removing = new Set<string>();
  private readonly removals = new Set<Promise<void>>();
  private readonly seen = new Map<string, ManagedInstance>();
  /** Per revision: a canary that fails to start must not hold back replacements for the stable one. */
  private readonly startBlockedUntil = new Map<number, number>();
  /** Adopted after a controller restart: their first readiness is not news (it was logged before). */
  private readonly adopted = new Set<string>();

  constructor(
    private readonly service: string,
    private readonly deps: { store: Store; runtime: InstanceRuntime; router: TrafficRouter; logger: Logger; onDone: () => void; drain: ManageOptions['drain'] },
  ) {}

  async start(rev: Revision, count: number, cfg: ServiceConfig, extraEnv: Record<string, string>): Promise<void> {
    for (let i = 0; i < count && Date.now() >= (this.startBlockedUntil.get(rev.number) ?? 0); i++) {
      const spec = instanceSpec(rev, extraEnv);
      try {
        const inst = await this.deps.runtime.start(spec, manageOptions(cfg, spec, this.deps.drain));
        this.deps.store.putInstance(inst.record);
        this.seen.set(inst.id, inst);
        this.event('InstanceStarted', `instance ${inst.id} (pid ${inst.record.pid}, port ${inst.record.port})`, rev.number);
      } catch (err) {
        this.startBlockedUntil.set(rev.number, Date.now() + START_BACKOFF_MS);
        this.event('InstanceStartFailed', `could not start revision ${rev.number}: ${(err as Error).message}`, rev.number);
      }
    }
  }

  /** An instance taken over from a previous controller. */
  markAdopted(id: string): void {
    this.adopted.add(id);
  }

  unmarkAdopted(id: string): void {
    this.adopted.delete(id);
  }

  /** Marks instances as leaving; they vanish from the next route table built. */
  mark(instances: ManagedInstance[]): void {
    for (const i of instances) this.removing.add(i.id);
  }

  unmark(instances: ManagedInstance[]): void {
    for (const i of instances) this.removing.delete(i.id);
  }

  /** Drain then stop, in the background; call only once routes without them are live. */
  remove(instances: ManagedInstance[], cfg: ServiceConfig): void {
    for (const inst of instances) {
      const p = this.drainAndStop(inst, cfg).finally(() => {
        this.removing.delete(inst.id);
        this.removals.delete(p);
        this.deps.onDone();
      });
      this.removals.add(p);
    }
  }

  /** Resolves when every removal in flight has finished. */
  async settle(): Promise<void> {
    await Promise.all([...this.removals]);
  }

  /** Keeps the stored record current (a restart in place changes pid and port) and logs transitions as events. */
  onChange(inst: ManagedInstance): void {
    const before = this.seen.get(inst.id);
    const rev = inst.record.revision;
    if (inst.state === 'stopped') {
      this.seen.delete(inst.id);
      this.deps.store.deleteInstance(inst.id);
      return;
    }
    this.seen.set(inst.id, inst);
    if (!before || before.record.pid !== inst.record.pid || before.record.port !== inst.record.port) this.deps.store.putInstance(inst.record);
    const adopted = this.adopted.has(inst.id);
    if (inst.state !== 'starting') this.adopted.delete(inst.id);
    if (inst.ready && !before?.ready && !adopted) this.event('InstanceReady', `instance ${inst.id} passed readiness`, rev);
    if (!inst.ready && before?.ready && inst.state === 'unready') this.event('InstanceUnready', `instance ${inst.id} failed readiness`, rev);
    if (inst.restarts > (before?.restarts ?? inst.restarts)) this.event('InstanceRestarted', `instance ${inst.id} restarted (${inst.lastFailure?.message ?? 'exited'})`, rev);
    // A stop that failed (a host's Engine away) also leaves 'failed', to be stopped again: that is no crash loop.
    if (inst.state === 'failed' && before?.state !== 'failed' && before?.state !== 'stopping') this.event('InstanceFailed', `instance ${inst.id} gave up: ${inst.lastFailure?.message ?? 'crash loop'}`, rev);
  }

  private async drainAndStop(inst: ManagedInstance, cfg: ServiceConfig): Promise<void> {
    const rev = inst.record.revision;
    let how = '';
    try {
      const r = await this.deps.router.drain(inst.id, cfg.shutdown.drainTimeout);
      how = r.drained ? 'drained' : `drain timed out, ${r.cut} cut`;
    } catch (err) {
      how = `drain failed: ${(err as Error).message}`;
    }
    try {
      await this.deps.runtime.stop(inst.id, stopOptions(cfg));
    } catch (err) {
      this.deps.logger.error({ err, instance: inst.id }, 'could not stop instance');
      return;
    }
    this.seen.delete(inst.id);
    this.deps.store.deleteInstance(inst.id);
    this.event('InstanceStopped', `instance ${inst.id} stopped (${how})`, rev);
  }

  private event(type: string, reason: string, revision: number): void {
    const e: NewEvent = { service: this.service, time: Date.now(), type, reason, revision };
    this.deps.store.appendEvents([e]);
    this.deps.logger.info({ service: this.service, revision, event: type }, reason);
  }
}
