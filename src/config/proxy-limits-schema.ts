/**
 * The proxy's limits and timeouts, as written in `cutover proxy`'s YAML (`limits:`) and in cutover.yaml (`proxy.limits`).
 * Durations accept units ("5s"); every field is optional and falls back to the proxy's default (docs/proxy.md).
 */
import { z } from 'zod';
import { duration } from '../shared/duration.ts';

/** Limits and timeouts in the YAML accept durations like "5s". */
export const proxyLimitsSchema = z
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

export type ProxyLimits = z.infer<typeof proxyLimitsSchema>;
