import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { readConfigText } from '../shared/config-file.ts';
import { zodIssues } from '../shared/zod-issues.ts';
import { listenerSchema, parseRoutesState, serviceRouteSchema, type RoutesState } from './contract.ts';
import type { ProxyOptions } from './options.ts';
import { proxyLimitsSchema, type ProxyLimits } from '../config/proxy-limits-schema.ts';

const DOCS = 'see docs/proxy.md for the fields';


/** `cutover proxy --config <file>`: listeners + services, plus optional limits and workers. */
export const staticConfigSchema = z.strictObject({
  listeners: z.array(listenerSchema),
  services: z.array(serviceRouteSchema),
  limits: proxyLimitsSchema.optional(),
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
  return { state: routes, workers: c.workers ?? 1, options: optionsFromLimits(c.limits ?? {}) };
}

/** The proxy's options for limits as written in YAML (durations in ms, names with their unit). */
export function optionsFromLimits(l: ProxyLimits): Partial<ProxyOptions> {
  const o: Partial<ProxyOptions> = {
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
  };
  // Unset limits keep the proxy's defaults.
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<ProxyOptions>;
}

/** `cutover proxy --limits <json>`: the same fields as `limits:` in the YAML; refused whole with the field named. */
export function parseLimitsArg(json: string): { yaml: ProxyLimits; options: Partial<ProxyOptions> } {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new ConfigError('--limits', [{ path: '', message: `not JSON: ${(err as Error).message}`, hint: 'e.g. {"maxRequestsPerClient": 256}' }]);
  }
  const r = proxyLimitsSchema.safeParse(doc);
  if (!r.success) throw new ConfigError('--limits', zodIssues(r.error, doc, DOCS));
  return { yaml: r.data, options: optionsFromLimits(r.data) };
}
