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
    /**
     * Requests of users who get the flag on (or, with `variant`, that variant) match. The user is the value of
     * `userKey`'s header or cookie (the flag's userId, bucketed as Unleash's SDKs do); requests without one do not
     * match. `features` holds the flag's definition and the segments, in Unleash's client-API format.
     */
    flag: z
      .strictObject({
        name: z.string().min(1),
        variant: z.string().min(1).optional(),
        userKey: z
          .strictObject({ header: z.string().min(1).optional(), cookie: z.string().min(1).optional() })
          .refine((k) => (k.header === undefined) !== (k.cookie === undefined), 'set exactly one of header or cookie'),
        features: z.strictObject({ features: z.array(z.record(z.string(), z.unknown())), segments: z.array(z.record(z.string(), z.unknown())).optional() }),
      })
      .optional(),
  })
  .refine((r) => r.header !== undefined || r.cookie !== undefined || r.flag !== undefined, 'a rule needs a header, a cookie or a flag to match');

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
    /**
     * Copy a share of requests to a shadow revision after the user's request went out; the user only ever gets the
     * answer of the revision that served it. With `compare`, the shadow's answer is compared with the user's.
     */
    mirror: z
      .strictObject({
        revision: name,
        percent: z.number().min(0).max(100),
        /** Methods copied (default GET, HEAD: a write would run twice). */
        methods: z.array(z.string().min(1).regex(/^[A-Z]+$/, 'an upper-case method')).optional(),
        /** Copies in flight at most; more are dropped and counted (default 64). */
        maxInFlight: z.number().int().min(1).max(10_000).optional(),
        compare: z
          .strictObject({
            ignoreHeaders: z.array(z.string().min(1)).optional(),
            ignoreJsonPaths: z.array(z.string().startsWith('$', 'a JSON path starts with $')).optional(),
            /** Bodies are kept up to this many bytes for comparison (default 1 MiB). */
            maxBodyBytes: z.number().int().min(0).max(64 * 1024 * 1024).optional(),
          })
          .optional(),
      })
      .optional(),
    /**
     * A/B experiment: users are put on a revision by a murmur3 hash of their sticky key (weights decide the split)
     * and counted per variant: users, requests, errors and goal conversions per unique user.
     */
    experiment: z
      .strictObject({
        /** Route revision name → variant name. */
        variants: z.record(name, z.string().min(1)),
        /** The user key; a user without the cookie gets a generated id in it. */
        stickyBy: z.strictObject({ cookie: z.string().min(1).optional(), header: z.string().min(1).optional() }),
        goals: z.array(
          z.strictObject({
            name: z.string().min(1),
            method: z.string().min(1).optional(),
            /** Exact path, or a prefix ending in *. */
            path: z.string().startsWith('/'),
            status: z.union([z.enum(['1xx', '2xx', '3xx', '4xx', '5xx']), z.number().int().min(100).max(599)]),
          }),
        ),
      })
      .optional(),
    /** Active health checks; missing means readiness comes only from outside plus passive ejection. */
    healthCheck: healthCheckSchema.optional(),
    /** Add `x-cutover-revision` to responses, naming the revision that answered (debugging; off by default). */
    revisionHeader: z.boolean().optional(),
    /** How long in-flight requests may take when the proxy shuts down (the service's shutdown.drainTimeout). */
    drainTimeoutMs: z.number().int().min(0).max(3_600_000).optional(),
    /**
     * Strict-Transport-Security on this service's responses over HTTPS (never over plain HTTP, where browsers ignore
     * it). An instance's own header is left as it is.
     */
    hsts: z.strictObject({ maxAgeSeconds: z.number().int().min(0), includeSubDomains: z.boolean().optional() }).optional(),
    /**
     * `nonIdempotent: true`: a request of any method (POST, PATCH, ...) whose whole body is kept is also retried when
     * its instance fails after it was sent, at the risk of running it twice. By default only GET, HEAD, OPTIONS, TRACE,
     * PUT and DELETE are; others only when nothing reached the instance.
     */
    retry: z.strictObject({ nonIdempotent: z.boolean().optional() }).optional(),
  })
  .superRefine((s, ctx) => {
    const names = new Set(s.revisions.map((r) => r.name));
    if (names.size !== s.revisions.length) ctx.addIssue({ code: 'custom', path: ['revisions'], message: 'revision names must be unique' });
    s.rules?.forEach((r, i) => {
      if (!names.has(r.revision)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'revision'], message: `no revision "${r.revision}" in this service` });
    });
    if (s.mirror && !names.has(s.mirror.revision)) ctx.addIssue({ code: 'custom', path: ['mirror', 'revision'], message: `no revision "${s.mirror.revision}" in this service` });
    for (const r of Object.keys(s.experiment?.variants ?? {})) {
      if (!names.has(r)) ctx.addIssue({ code: 'custom', path: ['experiment', 'variants', r], message: `no revision "${r}" in this service` });
    }
    if (s.experiment && (s.experiment.stickyBy.cookie === undefined) === (s.experiment.stickyBy.header === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['experiment', 'stickyBy'], message: 'set exactly one of cookie or header' });
    }
  });

/** One certificate and its key (PEM files, read by the proxy process only; reloaded when they change). */
export const certificateSpecSchema = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  /**
   * Server names (SNI) this certificate is chosen for; `*.example.com` covers one label. Missing: the names the
   * certificate itself is valid for. Clients that send no name, or a name no certificate covers, get the first one.
   */
  hosts: z.array(z.string().min(1)).optional(),
});

/**
 * HTTPS on a listener: one pair (`certFile`/`keyFile`), or several chosen per connection by the name the client asks
 * for (`certificates`).
 */
export const listenerTlsSchema = z
  .strictObject({
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    certificates: z.array(certificateSpecSchema).min(1, 'list at least one certificate').optional(),
  })
  .superRefine((t, ctx) => {
    const single = t.certFile !== undefined || t.keyFile !== undefined;
    if (single && t.certificates) ctx.addIssue({ code: 'custom', message: 'give either certFile and keyFile, or certificates, not both' });
    else if (!single && !t.certificates) ctx.addIssue({ code: 'custom', message: 'give certFile and keyFile, or certificates' });
    else if (single && (t.certFile === undefined || t.keyFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: [t.certFile === undefined ? 'certFile' : 'keyFile'], message: 'certFile and keyFile go together' });
    }
    const seen = new Map<string, number>();
    t.certificates?.forEach((c, i) =>
      c.hosts?.forEach((h, j) => {
        const prev = seen.get(h.toLowerCase());
        if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['certificates', i, 'hosts', j], message: `host "${h}" is already listed for certificate ${prev}` });
        else seen.set(h.toLowerCase(), i);
      }),
    );
  });

export const listenerSchema = z.strictObject({
  port,
  host: z.string().min(1).optional(),
  tls: listenerTlsSchema.optional(),
  /**
   * A plain-HTTP listener that only redirects: every request gets `308` to `https://<host>:<port><path>` (the port
   * left out when 443). No service, no instance is involved; `services` stays empty.
   */
  redirectToHttps: z.strictObject({ port: port.refine((p) => p > 0, 'the HTTPS port must be 1..65535') }).optional(),
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
    st.listeners.forEach((l, i) => {
      l.services.forEach((n, j) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'services', j], message: `no service named "${n}"` });
      });
      if (l.redirectToHttps && l.tls) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'redirectToHttps'], message: 'a redirecting listener is plain HTTP: drop its tls' });
      if (l.redirectToHttps && l.services.length > 0) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'services'], message: 'a redirecting listener serves no service: leave services empty' });
    });
  });

/** The certificates a listener serves, whichever form its `tls` was written in. */
export function certificateList(tls: ListenerTls): CertificateSpec[] {
  return tls.certificates ?? [{ certFile: tls.certFile!, keyFile: tls.keyFile! }];
}

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

const capturedSchema = z.object({ status: z.number(), headers: z.array(z.tuple([z.string(), z.string()])), body: z.string() });

/** What shadow comparison found for a service (src/proxy/shadow/diff-store.ts). */
export const mirrorReportSchema = z.object({
  /** The shadow revision's route name. */
  revision: z.string(),
  mirrored: z.number(),
  /** Copies not sent: the shadow had no ready instance or too many copies were in flight. */
  dropped: z.number(),
  compared: z.number(),
  differing: z.number(),
  shadowErrors: z.number(),
  byKind: z.object({ status: z.number(), header: z.number(), body: z.number() }),
  /** The first differing answers: request line, what differs, both answers (secrets in headers masked, bodies trimmed). */
  samples: z.array(z.object({ at: z.number(), request: z.string(), kinds: z.array(z.enum(['status', 'header', 'body'])), detail: z.array(z.string()), stable: capturedSchema, shadow: capturedSchema })),
});

/** What an experiment counted per variant since it started (src/proxy/experiment-counter.ts). */
export const experimentCountsSchema = z.object({
  variants: z.record(
    z.string(),
    z.object({ revision: z.string(), users: z.number(), requests: z.number(), errors: z.number(), goals: z.record(z.string(), z.number()) }),
  ),
});

/** `GET /stats`: one entry per service, revisions keyed by their route name. */
export const serviceStatsSchema = z.object({
  service: z.string(),
  /** Present while the service mirrors to a shadow with `compare`. */
  mirror: mirrorReportSchema.optional(),
  /** Present while the service runs an experiment. */
  experiment: experimentCountsSchema.optional(),
  revisions: z.record(
    z.string(),
    trafficStatsSchema.extend({ instances: z.record(z.string(), trafficStatsSchema.extend({ healthy: z.boolean() })) }),
  ),
});
export const statsSchema = z.array(serviceStatsSchema);

/**
 * `GET /certificates`: each certificate a listener serves now (after any reload), as the certificate describes
 * itself. Public facts only: never the key, nor the key file.
 */
export const certificateInfoSchema = z.object({
  /** The listener, "host:port", and the port it was asked to listen on. */
  listener: z.string(),
  port: z.number().int(),
  certFile: z.string(),
  /** The names it is chosen for by SNI (configured `hosts`, else the certificate's own names). */
  hosts: z.array(z.string()),
  subject: z.string(),
  issuer: z.string(),
  names: z.array(z.string()),
  /** ISO 8601. */
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprint256: z.string(),
  /** When this certificate was loaded (first time or last successful reload), ISO 8601. */
  loadedAt: z.string(),
  /** The last reload that was refused since then: the certificate above kept serving. */
  reloadError: z.object({ at: z.string(), message: z.string() }).optional(),
});
export const certificatesSchema = z.array(certificateInfoSchema);

export type UpstreamInstance = z.infer<typeof upstreamInstanceSchema>;
export type RevisionRoute = z.infer<typeof revisionRouteSchema>;
export type MatchRule = z.infer<typeof matchRuleSchema>;
export type HealthCheckSpec = z.infer<typeof healthCheckSchema>;
export type ServiceRoute = z.infer<typeof serviceRouteSchema>;
export type ListenerSpec = z.infer<typeof listenerSchema>;
export type ListenerTls = z.infer<typeof listenerTlsSchema>;
export type CertificateSpec = z.infer<typeof certificateSpecSchema>;
export type CertificateInfo = z.infer<typeof certificateInfoSchema>;
export type RoutesState = z.infer<typeof routesStateSchema>;
export type DrainResult = z.infer<typeof drainResultSchema>;
export type TrafficStats = z.infer<typeof trafficStatsSchema>;
export type ServiceStats = z.infer<typeof serviceStatsSchema>;
export type MirrorReport = z.infer<typeof mirrorReportSchema>;
export type ExperimentCounts = z.infer<typeof experimentCountsSchema>;

/** Validates a routes state from outside the process; throws ConfigError naming each bad field. */
export function parseRoutesState(input: unknown, source = 'routes'): RoutesState {
  const r = routesStateSchema.safeParse(input);
  if (!r.success) throw new ConfigError(source, zodIssues(r.error, input, 'see docs/proxy.md for the fields'));
  return r.data;
}
