/**
 * What the engine needs of its data plane, beside routing: the proxy process of this machine (ProxySupervisor), or
 * the proxies of every host with `hosts:` (HostsDataPlane).
 */
import type { TrafficRouter } from '../rollout/interfaces.ts';
import type { UnreachableHost } from '../rollout/state.ts';

export interface DataPlane extends TrafficRouter {
  /** Attaches to the running proxies or starts them; true when it had to start one. */
  ensure(): Promise<boolean>;
  /** Keeps the proxies running from now on; `onRestart` after one was started again. */
  watch(onRestart: () => void): void;
  /** Stops watching; the proxies keep serving. */
  detach(): Promise<void>;
  /** Drains and stops the proxies. */
  stop(timeoutMs: number): Promise<void>;
  /** The proxies' Prometheus exposition. */
  metricsText(): Promise<string>;
  /** Hosts whose Engine or proxy does not answer now (always none on one machine). */
  unreachable(): UnreachableHost[];
  /** For the start log line. */
  describe(): Record<string, unknown>;
}
