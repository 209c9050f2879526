/**
 * The runtime layer's narrow interface: start and stop instances of a
 * revision. The controller never touches processes directly; it asks a
 * provider. `local` (processes on this machine) is the embedded default.
 */

export interface Probe {
  /** HTTP path; when missing, "ready" means the port accepts TCP connections. */
  path?: string;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export interface InstanceSpec {
  service: string;
  /** Revision number, as the controller and the store know it. */
  revision: number;
  /** Human version label, e.g. "v2". Exported as CUTOVER_VERSION. */
  version: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  /**
   * Reuse this instance id (a restart in place keeps its id and log file).
   * When missing the provider makes a new one.
   */
  id?: string;
}

/** What is needed to find an instance again after the controller restarts. Persisted as JSON. */
export interface InstanceRecord {
  id: string;
  service: string;
  revision: number;
  version: string;
  pid: number;
  host: string;
  port: number;
  startedAt: number;
  logFile: string;
  /** How many times this slot was restarted after a crash or liveness failure. */
  restarts: number;
  /**
   * Opaque process identity (local: the kernel start time of `pid`), so a
   * recycled PID is never mistaken for the instance. Optional for records
   * written before it existed.
   */
  procStart?: string;
  /** Process group the instance runs in (local: equals `pid`); stop() signals the whole group. */
  pgid?: number;
}

export interface StopOptions {
  signal: NodeJS.Signals;
  killAfterMs: number;
}

export type ExitListener = (record: InstanceRecord, code: number | null, signal: NodeJS.Signals | null) => void;

export interface RuntimeProvider {
  readonly name: string;
  /** Spawns the instance and returns at once; readiness is checked separately. */
  start(spec: InstanceSpec): Promise<InstanceRecord>;
  /** Sends `signal`, then SIGKILL after `killAfterMs`; resolves once the instance is gone. */
  stop(record: InstanceRecord, opts: StopOptions): Promise<void>;
  /** True while the instance's process exists. */
  isAlive(record: InstanceRecord): boolean;
  /** One readiness/liveness probe attempt. */
  probe(record: InstanceRecord, probe: Probe): Promise<boolean>;
  /** Takes over an instance started by an earlier controller (after a crash or restart). */
  adopt(record: InstanceRecord): boolean;
  /** Called when a started or adopted instance exits on its own. */
  onExit(listener: ExitListener): void;
  /** Stops watching; running instances are left running (the data plane must not depend on us). */
  detach(): Promise<void>;
}
