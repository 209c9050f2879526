import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { duration } from '../shared/duration.ts';
import { readConfigText } from '../shared/config-file.ts';
import type { ListenerSpec, ServiceRoute } from './types.ts';
import type { ProxyOptions } from './options.ts';

const port = z.number().int().min(0).max(65535);
const name = z.string().min(1).max(200);

const instanceSchema = z.strictObject({
  id: name,
  host: z.string().min(1),
  port: port.refine((p) => p > 0, 'an upstream port must be 1..65535'),
  ready: z.boolean().optional(),
});

const revisionSchema = z.strictObject({
  name,
  weight: z.number().int().min(0, 'weight is in basis points, 0..10000').max(10000, 'weight is in basis points, 0..10000'),
  instances: z.array(instanceSchema),
});

const ruleSchema = z
  .strictObject({
    revision: name,
    header: z.strictObject({ name: z.string().min(1), value: z.string() }).optional(),
    cookie: z.strictObject({ name: z.string().min(1), value: z.string() }).optional(),
  })
  .refine((r) => r.header !== undefined || r.cookie !== undefined, 'a rule needs a header or a cookie to match');

const healthSchema = z.strictObject({
  path: z.string().startsWith('/'),
  intervalMs: z.number().int().min(50),
  timeoutMs: z.number().int().min(10),
  healthyThreshold: z.number().int().min(1),
  unhealthyThreshold: z.number().int().min(1),
});

export const serviceRouteSchema = z
  .strictObject({
    name,
    hosts: z.array(z.string().min(1)).optional(),
    pathPrefix: z.string().startsWith('/', 'a path prefix starts with "/"').optional(),
    revisions: z.array(revisionSchema).min(1, 'a service needs at least one revision'),
    rules: z.array(ruleSchema).optional(),
    stickyBy: z.strictObject({ header: z.string().min(1).optional(), cookie: z.string().min(1).optional() }).optional(),
    mirror: z.strictObject({ revision: name, percent: z.number().min(0).max(100) }).optional(),
    healthCheck: healthSchema.optional(),
    revisionHeader: z.boolean().optional(),
    retry: z.strictObject({ nonIdempotent: z.boolean().optional() }).optional(),
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
  trustForwarded: z.boolean().optional(),
  services: z.array(name),
});

/** The full desired state sent to `PUT /routes` and kept in the table file. */
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

export interface RoutesState {
  listeners: ListenerSpec[];
  services: ServiceRoute[];
}

/** Limits and timeouts in the YAML accept durations like "5s". */
const optionsSchema = z
  .strictObject({
    maxHeaderBytes: z.number().int().min(1024),
    maxBodyBytes: z.number().int().min(0),
    retryBufferBytes: z.number().int().min(0),
    headersTimeout: duration,
    requestTimeout: duration,
    keepAliveTimeout: duration,
    sendTimeout: duration,
    minBodyRate: z.number().int().min(0),
    maxConnectionsPerClient: z.number().int().min(0),
    maxRequestsPerClient: z.number().int().min(0),
    connectTimeout: duration,
    responseTimeout: duration,
    queueTimeout: duration,
    maxQueue: z.number().int().min(0),
    maxAttempts: z.number().int().min(1).max(10),
    eject5xx: z.number().int().min(0),
    connectionsPerInstance: z.number().int().min(1),
  })
  .partial();

/** `cutover proxy --config <file>`: listeners + services, plus optional limits and workers. */
export const staticConfigSchema = z.strictObject({
  listeners: z.array(listenerSchema),
  services: z.array(serviceRouteSchema),
  limits: optionsSchema.optional(),
  workers: z.number().int().min(1).max(64).optional(),
});

export interface StaticConfig {
  state: RoutesState;
  options: Partial<ProxyOptions>;
  workers: number;
}

/** Validates the routes state; throws ConfigError naming each bad field. */
export function parseRoutesState(input: unknown, source = 'routes'): RoutesState {
  const r = routesStateSchema.safeParse(input);
  if (!r.success) throw new ConfigError(source, toIssues(r.error, input));
  return r.data as RoutesState;
}

export function loadStaticConfig(file: string): StaticConfig {
  let doc: unknown;
  try {
    doc = parseYaml(readConfigText(file), { maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof ConfigError) throw err; // too large, or not UTF-8: already says where
    throw new ConfigError(file, [{ path: '', message: `cannot read or parse: ${(err as Error).message}`, hint: 'check the file exists and is valid YAML' }]);
  }
  const r = staticConfigSchema.safeParse(doc);
  if (!r.success) throw new ConfigError(file, toIssues(r.error, doc));
  const c = r.data;
  const routes = parseRoutesState({ listeners: c.listeners, services: c.services }, file);
  const l = c.limits ?? {};
  return {
    state: routes,
    workers: c.workers ?? 1,
    options: {
      maxHeaderBytes: l.maxHeaderBytes,
      maxBodyBytes: l.maxBodyBytes,
      retryBufferBytes: l.retryBufferBytes,
      headersTimeoutMs: l.headersTimeout,
      requestTimeoutMs: l.requestTimeout,
      keepAliveTimeoutMs: l.keepAliveTimeout,
      sendTimeoutMs: l.sendTimeout,
      minBodyRate: l.minBodyRate,
      maxConnectionsPerClient: l.maxConnectionsPerClient,
      maxRequestsPerClient: l.maxRequestsPerClient,
      connectTimeoutMs: l.connectTimeout,
      responseTimeoutMs: l.responseTimeout,
      queueTimeoutMs: l.queueTimeout,
      maxQueue: l.maxQueue,
      maxAttempts: l.maxAttempts,
      eject5xx: l.eject5xx,
      connectionsPerInstance: l.connectionsPerInstance,
    },
  };
}

function toIssues(err: z.ZodError, input: unknown): ConfigIssue[] {
  return err.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
    value: valueAt(input, i.path),
    hint: hintFor(i),
  }));
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function hintFor(i: z.core.$ZodIssue): string | undefined {
  if (i.code === 'unrecognized_keys') return `remove ${i.keys.join(', ')}; see docs/proxy.md for the fields`;
  if (i.code === 'invalid_type') return `expected ${i.expected}`;
  return undefined;
}
