/**
 * The wire contract of the data plane: what a driver (the controller in
 * `cutover up`, or a static file in `cutover proxy`) sends the proxy and what
 * the proxy answers. Zod schemas are the source; the types are inferred from
 * them, so the two cannot drift. Bodies are validated once, where bytes enter a
 * process: the admin server for requests, the admin client for answers, the
 * loader for files. Everything is plain JSON, so it crosses the admin API
 * unchanged.
 *
 * Units are in names: `weightBp` is basis points (0..10000), `*Ms` milliseconds.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { zodIssues } from '../shared/zod-issues.ts';

const port = z.number().int().min(0).max(65535);
const name = z.string().min(1).max(200);

/** One upstream instance. `id` is stable for the instance's whole life. */
export const upstreamInstanceSchema = z.strictObject({
  id: name,
  host: z.string().min(1),
  port: port.refine((p) => p > 0, 'an upstream port must be 1..65535'),
  /**
   * Readiness as set from outside (by the runtime); default true. An instance gets traffic only when this is true
   * and the proxy's own health checks have not ejected it.
   */
  ready: z.boolean().optional(),
});

/** A revision of a service: a share of traffic and a pool of instances. */
export const revisionRouteSchema = z.strictObject({
  /** Key of the revision within its service (rules and mirror name it). `cutover up` uses the revision number. */
  name,
  /** The version label shown in metrics and `x-cutover-revision` (default: the name). */
  version: name.optional(),
  weightBp: z.number().int().min(0, 'weightBp is in basis points, 0..10000').max(10000, 'weightBp is in basis points, 0..10000'),
  instances: z.array(upstreamInstanceSchema),
});

/** A rule that sends matching requests to one revision regardless of weights. */
export const matchRuleSchema = z
  .strictObject({
    revision: name,
    header: z.strictObject({ name: z.string().min(1), value: z.string() }).optional(),
    cookie: z.strictObject({ name: z.string().min(1), value: z.string() }).optional(),
  })
  .refine((r) => r.header !== undefined || r.cookie !== undefined, 'a rule needs a header or a cookie to match');

export const healthCheckSchema = z.strictObject({
  path: z.string().startsWith('/'),
  intervalMs: z.number().int().min(50),
  timeoutMs: z.number().int().min(10),
  healthyThreshold: z.number().int().min(1),
  unhealthyThreshold: z.number().int().min(1),
});

export const serviceRouteSchema = z
  .strictObject({
    name,
    /** Host names this service answers (without port). Empty or missing: any host. */
    hosts: z.array(z.string().min(1)).optional(),
    /** Path prefix; longest prefix wins. Default "/". */
    pathPrefix: z.string().startsWith('/', 'a path prefix starts with "/"').optional(),
    revisions: z.array(revisionRouteSchema).min(1, 'a service needs at least one revision'),
    /** Evaluated in order before weights: blue-green preview and header/cookie canaries. */
    rules: z.array(matchRuleSchema).optional(),
    /** Sticky split: this header or cookie value (a user id) is hashed onto the weight ring, so one user keeps one revision. */
    stickyBy: z.strictObject({ header: z.string().min(1).optional(), cookie: z.string().min(1).optional() }).optional(),
    /** Copy a share of requests (fire-and-forget, response discarded) to a shadow revision. */
    mirror: z.strictObject({ revision: name, percent: z.number().min(0).max(100) }).optional(),
    /** Active health checks; missing means readiness comes only from outside plus passive ejection. */
    healthCheck: healthCheckSchema.optional(),
    /** Add `x-cutover-revision` to responses, naming the revision that answered (debugging; off by default). */
    revisionHeader: z.boolean().optional(),
    /** How long in-flight requests may take when the proxy shuts down (the service's shutdown.drainTimeout). */
    drainTimeoutMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .superRefine((s, ctx) => {
    const names = new Set(s.revisions.map((r) => r.name));
    if (names.size !== s.revisions.length) ctx.addIssue({ code: 'custom', path: ['revisions'], message: 'revision names must be unique' });
    s.rules?.forEach((r, i) => {
      if (!names.has(r.revision)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'revision'], message: `no revision "${r.revision}" in this service` });
    });
    if (s.mirror && !names.has(s.mirror.revision)) ctx.addIssue({ code: 'custom', path: ['mirror', 'revision'], message: `no revision "${s.mirror.revision}" in this service` });
  });

export const listenerSchema = z.strictObject({
  port,
  host: z.string().min(1).optional(),
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  /**
   * Keep the X-Forwarded-For/-Proto/-Host a client sends (For gets the client's address appended). Only behind a proxy
   * you trust: by default they are replaced with what this listener saw, so a client cannot claim another address.
   */
  trustForwarded: z.boolean().optional(),
  /** Services reachable through this listener, by name. */
  services: z.array(name),
});

/** The full desired state: `PUT /routes`, `GET /routes` and the persisted table file. Swapped atomically. */
export const routesStateSchema = z
  .strictObject({ listeners: z.array(listenerSchema), services: z.array(serviceRouteSchema) })
  .superRefine((st, ctx) => {
    const names = new Set<string>();
    st.services.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `service "${s.name}" appears twice` });
      names.add(s.name);
    });
    st.listeners.forEach((l, i) =>
      l.services.forEach((n, j) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'services', j], message: `no service named "${n}"` });
      }),
    );
  });

/** `PUT /instances/:id/ready`. */
export const readyBodySchema = z.strictObject({ ready: z.boolean() });
/** `POST /instances/:id/drain`. */
export const drainBodySchema = z.strictObject({ timeoutMs: z.number().int().min(0).max(3_600_000) });

/** The answer of a drain. */
export const drainResultSchema = z.object({
  /** True when every in-flight request finished before the timeout. */
  drained: z.boolean(),
  /** Requests or sockets still open and cut at the timeout. */
  cut: z.number().int().min(0),
});

/** Per-revision or per-instance figures over the sliding window. */
export const trafficStatsSchema = z.object({
  requests: z.number(),
  /** Counts by status class over the window: "2xx".."5xx", and "error" for proxy-side failures. */
  byClass: z.record(z.string(), z.number()),
  inflight: z.number(),
  /** Requests per second over the window. */
  rate: z.number(),
  /** Share of 5xx and errors among requests over the window, 0..1. */
  errorRate: z.number(),
  /** Latency percentiles over the window, milliseconds. */
  p50: z.number(),
  p95: z.number(),
  p99: z.number(),
  /**
   * Requests per latency bucket over the window (index b counts latencies up to `latencyBucketUpperMs(b)`, log scale,
   * 20 % apart), for tests on the whole distribution (the comparative judge). Absent from older proxies.
   */
  latencyBuckets: z.array(z.number().int().min(0)).optional(),
});

/** `GET /stats`: one entry per service, revisions keyed by their route name. */
export const serviceStatsSchema = z.object({
  service: z.string(),
  revisions: z.record(
    z.string(),
    trafficStatsSchema.extend({ instances: z.record(z.string(), trafficStatsSchema.extend({ healthy: z.boolean() })) }),
  ),
});
export const statsSchema = z.array(serviceStatsSchema);

export type UpstreamInstance = z.infer<typeof upstreamInstanceSchema>;
export type RevisionRoute = z.infer<typeof revisionRouteSchema>;
export type MatchRule = z.infer<typeof matchRuleSchema>;
export type HealthCheckSpec = z.infer<typeof healthCheckSchema>;
export type ServiceRoute = z.infer<typeof serviceRouteSchema>;
export type ListenerSpec = z.infer<typeof listenerSchema>;
export type RoutesState = z.infer<typeof routesStateSchema>;
export type DrainResult = z.infer<typeof drainResultSchema>;
export type TrafficStats = z.infer<typeof trafficStatsSchema>;
export type ServiceStats = z.infer<typeof serviceStatsSchema>;

/** Validates a routes state from outside the process; throws ConfigError naming each bad field. */
export function parseRoutesState(input: unknown, source = 'routes'): RoutesState {
  const r = routesStateSchema.safeParse(input);
  if (!r.success) throw new ConfigError(source, zodIssues(r.error, input, 'see docs/proxy.md for the fields'));
  return r.data;
}
