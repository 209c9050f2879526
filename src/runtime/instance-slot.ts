/** The manager's mutable bookkeeping for one instance id (internal). */
import type { InstanceRecord, InstanceSpec, StopOptions } from './provider.ts';
import type { RestartPolicy } from './backoff.ts';
import type { InstanceExit, InstanceFailure, InstanceState, ManagedInstance, ManageOptions } from './managed-instance.ts';
import type { ProbeLoop } from './probe-loop.ts';

export const DEFAULT_STOP: StopOptions = { signal: 'SIGTERM', killAfterMs: 10_000 };

export class InstanceSlot {
  state: InstanceState = 'starting';
  ready = false;
  restarts: number;
  crashLoop = false;
  lastExit: InstanceExit | undefined;
  lastFailure: InstanceFailure | undefined;
  /** Failures since the instance last stayed ready for stableAfterMs. */
  streak = 0;
  readySince: number | undefined;
  okInARow = 0;
  failedInARow = 0;
  livenessFailedInARow = 0;
  readiness: ProbeLoop | undefined;
  liveness: ProbeLoop | undefined;
  /** A restart waiting out its backoff or spawning; stop() and close() wait for it. */
  restarting: Promise<void> | undefined;
  cancelBackoff: (() => void) | undefined;
  stopping: Promise<void> | undefined;

  constructor(
    public record: InstanceRecord,
    readonly opts: ManageOptions,
    readonly spec: InstanceSpec | undefined,
    readonly policy: RestartPolicy,
  ) {
    this.restarts = record.restarts;
  }

  get id(): string {
    return this.record.id;
  }

  /** Probing stops for good for this process (a restart makes new loops). */
  stopProbes(): void {
    this.readiness?.stop();
    this.liveness?.stop();
    this.readiness = undefined;
    this.liveness = undefined;
  }

  resetProbeCounters(): void {
    this.ready = false;
    this.readySince = undefined;
    this.okInARow = 0;
    this.failedInARow = 0;
    this.livenessFailedInARow = 0;
  }

  snapshot(): ManagedInstance {
    return {
      id: this.id,
      record: { ...this.record, restarts: this.restarts },
      state: this.state,
      ready: this.ready,
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: { ...this.lastExit } } : {}),
      ...(this.lastFailure ? { lastFailure: { ...this.lastFailure } } : {}),
      crashLoop: this.crashLoop,
    };
  }
}
