import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { duration } from '../shared/duration.ts';
import { readConfigText } from '../shared/config-file.ts';
import { zodIssues } from '../shared/zod-issues.ts';
import { listenerSchema, parseRoutesState, serviceRouteSchema, type RoutesState } from './contract.ts';
import type { ProxyOptions } from './options.ts';

const DOCS = 'see docs/proxy.md for the fields';

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

export function loadStaticConfig(file: string): StaticConfig {
  let doc: unknown;
  try {
    doc = parseYaml(readConfigText(file), { maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof ConfigError) throw err; // too large, or not UTF-8: already says where
    throw new ConfigError(file, [{ path: '', message: `cannot read or parse: ${(err as Error).message}`, hint: 'check the file exists and is valid YAML' }]);
  }
  const r = staticConfigSchema.safeParse(doc);
  if (!r.success) throw new ConfigError(file, zodIssues(r.error, doc, DOCS));
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
