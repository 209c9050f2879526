/** What the instance manager tells the controller about each instance it manages. */
import type { InstanceRecord, InstanceSpec, Probe, StopOptions } from './provider.ts';
import type { RestartPolicy } from './backoff.ts';

/**
 * starting   process running, readiness not (yet) passed since its last (re)start
 * ready      readiness passing: safe to route to
 * unready    was ready, readiness now failing (failureThreshold in a row); may recover
 * restarting crashed or failed liveness; waiting out the backoff or starting again
 * failed     crash loop (or crashed with no spec to restart from); no process, no more restarts
 * stopping   stop() in progress
 * stopped    stop() finished; the instance is no longer listed
 */
export type InstanceState = 'starting' | 'ready' | 'unready' | 'restarting' | 'failed' | 'stopping' | 'stopped';

export interface InstanceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface InstanceFailure {
  /** exit: the process ended on its own; liveness: failureThreshold failed liveness probes; start: a restart could not spawn. */
  reason: 'exit' | 'liveness' | 'start';
  at: number;
  message: string;
}

/** A snapshot: every call and event hands out a fresh copy. */
export interface ManagedInstance {
  id: string;
  /** Current process (pid, port change on restart). Persist it to adopt the instance after a controller restart. */
  record: InstanceRecord;
  state: InstanceState;
  ready: boolean;
  restarts: number;
  /** Last time the process ended on its own (exit codes are unknown for adopted processes: null). */
  lastExit?: InstanceExit;
  /** Last crash, liveness failure or failed restart. */
  lastFailure?: InstanceFailure;
  /** Too many restarts without becoming stable (see RestartPolicy): the rollout should fail. */
  crashLoop: boolean;
}

export interface ManageOptions {
  readiness: Probe;
  liveness?: Probe;
  /** How a liveness failure stops the old process before restarting it; default SIGTERM, SIGKILL after 10 s. */
  stop?: StopOptions;
  /**
   * Called before the manager itself stops a live process (liveness failure),
   * with the instance already in state 'restarting' or 'failed': take it out
   * of the proxy and wait for its requests to drain. Errors are logged.
   */
  drain?: (inst: ManagedInstance) => Promise<void>;
  /** Overrides the manager's restart policy for this instance. */
  restart?: Partial<RestartPolicy>;
  /**
   * adopt() only: the spec the instance was started from, so it can be
   * restarted in place after a crash. Without it a crash marks it failed.
   */
  spec?: InstanceSpec;
  /**
   * adopt() only: the instance was ready when last seen (the proxy still
   * routes to it). It starts as 'ready' instead of 'starting', so a slow
   * first probe does not take it out of the routes; as for any ready
   * instance, failureThreshold failed probes in a row make it 'unready'.
   */
  lastKnownReady?: boolean;
}
