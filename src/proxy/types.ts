/**
 * The contract between the data plane and whoever drives it (the controller in
 * `cutover up`, or a static YAML file in `cutover proxy`). Everything here is
 * plain JSON so it crosses the proxy's admin HTTP API unchanged.
 */

/** One upstream instance. `id` is stable for the instance's whole life. */
export interface UpstreamInstance {
  id: string;
  host: string;
  port: number;
  /**
   * Readiness as set from outside (by the runtime). Defaults to true. An
   * instance gets traffic only when this is true AND it is not ejected by the
   * proxy's own health checks.
   */
  ready?: boolean;
}

/** A revision of a service: a weight (basis points, 0..10000) and a pool. */
export interface RevisionRoute {
  /** Revision name, e.g. "v2" or "web-3". Shown in metrics and the optional debug header. */
  name: string;
  weight: number;
  instances: UpstreamInstance[];
}

/** A rule that sends matching requests to one revision regardless of weights. */
export interface MatchRule {
  revision: string;
  header?: { name: string; value: string };
  cookie?: { name: string; value: string };
}

export interface HealthCheckSpec {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface ServiceRoute {
  name: string;
  /** Host names this service answers (without port). Empty or missing: any host. */
  hosts?: string[];
  /** Path prefix; longest prefix wins. Default "/". */
  pathPrefix?: string;
  revisions: RevisionRoute[];
  /** Evaluated in order before weights. Used for blue-green preview and header/cookie canaries. */
  rules?: MatchRule[];
  /**
   * Sticky split: hash this header or cookie value (e.g. a user id) onto the
   * weight ring so one user always lands on the same revision (A/B tests).
   */
  stickyBy?: { header?: string; cookie?: string };
  /** Copy a share of requests (fire-and-forget, response discarded) to a shadow revision. */
  mirror?: { revision: string; percent: number };
  /** Active health checks; missing means readiness comes only from outside plus passive ejection. */
  healthCheck?: HealthCheckSpec;
  /** Add an `x-cutover-revision` response header naming the revision that answered (debugging; off by default). */
  revisionHeader?: boolean;
  /**
   * `nonIdempotent: true`: a request of any method (POST, PATCH, ...) whose whole body is kept is also retried when
   * its instance fails after it was sent, at the risk of running it twice. By default only GET, HEAD, OPTIONS, TRACE,
   * PUT and DELETE are; others only when nothing reached the instance.
   */
  retry?: { nonIdempotent?: boolean };
}

export interface ListenerSpec {
  port: number;
  host?: string;
  tls?: { certFile: string; keyFile: string };
  /**
   * Keep the X-Forwarded-For/-Proto/-Host a client sends (X-Forwarded-For gets the client's address appended). Only
   * behind a proxy you trust: by default they are replaced with what this listener saw, so a client cannot claim
   * another address or scheme.
   */
  trustForwarded?: boolean;
  /** Services reachable through this listener (by name). */
  services: string[];
}

/** The whole table. Swapped atomically: a request sees the old one or the new one. */
export interface RouteTable {
  version?: number;
  services: ServiceRoute[];
}

/** Per-revision or per-instance figures over the sliding window. */
export interface TrafficStats {
  requests: number;
  /** Counts by status class over the window: "2xx", "3xx", "4xx", "5xx", and "error" for proxy-side failures. */
  byClass: Record<string, number>;
  inflight: number;
  /** Requests per second over the window. */
  rate: number;
  /** Share of 5xx + errors among requests over the window, 0..1. */
  errorRate: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface ServiceStats {
  service: string;
  revisions: Record<string, TrafficStats & { instances: Record<string, TrafficStats & { healthy: boolean }> }>;
}

export interface DrainResult {
  /** True when every in-flight request finished before the timeout. */
  drained: boolean;
  /** Requests or sockets still open and cut at the timeout. */
  cut: number;
}
