/**
 * The control API's observability routes: Prometheus service discovery, the
 * controller's metrics and the proxy's. Behind the API's bearer token like
 * every route but /healthz (Prometheus sends it with `authorization`).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Registry } from 'prom-client';
import type { ControlPlane } from '../rollout/types.ts';
import type { ControllerMetrics } from './controller-metrics.ts';
import { CONTROLLER_METRICS_PATH, cutoverTargets, hostPort, instanceTargets, PROXY_METRICS_PATH, type DiscoveredInstance } from './prometheus-targets.ts';
import { parseBody } from './server.ts';

/** What the observability routes read besides the ControlPlane; `cutover up` wires them to its runtime, config and proxy. */
export interface ObservabilitySources {
  /** The instances the runtime manages now (`InstanceManager.list()`). */
  instances(): DiscoveredInstance[];
  /** The path each service's instances serve metrics on (cutover.yaml `metrics.path`); undefined = /metrics. */
  metricsPath(service: string): string | undefined;
  /** The proxy's Prometheus text (its admin API's GET /metrics). */
  proxyMetrics(): Promise<string>;
}

const targetsQuerySchema = z.object({ scope: z.enum(['instances', 'cutover']).default('instances') }).strict();

export function registerObservability(app: FastifyInstance, control: ControlPlane, metrics: () => ControllerMetrics, sources: ObservabilitySources | undefined): void {
  app.get(CONTROLLER_METRICS_PATH, async (_req, reply) => reply.type(Registry.PROMETHEUS_CONTENT_TYPE).send(await metrics().text()));
  if (!sources) return;
  app.get('/api/v1/prometheus/targets', async (req) => {
    const { scope } = parseBody(targetsQuerySchema, req.query);
    // The address Prometheus reached us on is the one it can scrape; the socket's own when a client sent no Host.
    if (scope === 'cutover') return cutoverTargets(req.headers.host || hostPort(req.socket.localAddress ?? '127.0.0.1', req.socket.localPort ?? 0));
    return instanceTargets(control.status(), sources.instances(), (s) => sources.metricsPath(s));
  });
  app.get(PROXY_METRICS_PATH, async (_req, reply) => reply.type(Registry.PROMETHEUS_CONTENT_TYPE).send(await sources.proxyMetrics()));
}
