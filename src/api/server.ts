/**
 * The control API: a thin HTTP face on the ControlPlane. Every route except
 * /healthz and the dashboard's static files and login needs a token (admin,
 * viewer or flag client) or a dashboard session; who may call what is in
 * access.ts; bodies are validated with zod;
 * errors are CutoverErrors mapped to their HTTP status, never a crash.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CutoverError } from '../errors.ts';
import type { FlagService } from '../flags/service.ts';
import { registerFlagAdminRoutes } from '../flags/admin-api.ts';
import { registerClientApiRoutes } from '../flags/client-api.ts';
import { registerOfrepRoutes } from '../flags/ofrep.ts';
import { registerFlagStream } from '../flags/sse.ts';
import type { ControlPlane, RolloutStatus, ServiceCertificate } from '../rollout/types.ts';
import { registerNotificationRoutes, type NotificationsSource } from '../notify/routes.ts';
import type { Logger } from '../shared/log.ts';
import { authorize, callerOf, type AccessOptions } from './access.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { registerInstanceRoutes } from './instance-routes.ts';
import { parseBody } from '../shared/parse-body.ts';
import { maskEnv } from './secrets.ts';
import { ControllerMetrics } from './controller-metrics.ts';
import { registerObservability, type ObservabilitySources } from './observability-routes.ts';
import { Sessions } from './session.ts';
import { registerStream } from './stream.ts';

export { parseBody };

export const deployBodySchema = z
  .object({
    version: z.string().min(1).max(128),
    run: z.string().min(1).optional(),
    cwd: z.string().min(1).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _'), z.string()).optional(),
    strategy: z.enum(['rolling', 'blueGreen', 'canary', 'shadow', 'experiment']).optional(),
    migration: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
  })
  .strict();

const promoteBodySchema = z.object({ full: z.boolean().optional(), variant: z.string().min(1).optional() }).strict();
const undoBodySchema = z.object({ toRevision: z.number().int().min(1).optional() }).strict();
const eventsQuerySchema = z
  .object({
    service: z.string().optional(),
    since: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

const certificatesQuerySchema = z.object({ service: z.string().optional() }).strict();

export interface ApiOptions {
  control: ControlPlane;
  /** The admin token: everything. */
  token: string;
  /** Read-only token (GET routes, the dashboard without actions); none when unset. */
  viewerToken?: string;
  /** The client token: reads flags (Unleash client API, OFREP, the flag stream), changes nothing, opens no dashboard. */
  clientToken?: string;
  /** The built dashboard (default <package>/dist/dashboard). */
  dashboardDir?: string;
  /** Serves the flag routes when given. */
  flags?: FlagService;
  /** Comment lines on flag streams this often (default 15 s). */
  flagStreamHeartbeatMs?: number;
  /** Serves GET /api/v1/notifications when given (the webhook dispatcher). */
  notifications?: NotificationsSource;
  logger?: Logger;
  /** The controller's metrics (GET /metrics); default: a new ControllerMetrics over `control`. */
  metrics?: ControllerMetrics;
  /** Prometheus discovery and the proxy's metrics; without it those routes answer 404. */
  observability?: ObservabilitySources;
}

export function buildApi(opts: ApiOptions): FastifyInstance {
  // Fastify's own logger stays off: errors are logged here, with secrets redacted by our pino config.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const { control } = opts;

  const access: AccessOptions = { token: opts.token, viewerToken: opts.viewerToken, clientToken: opts.clientToken, sessions: new Sessions(opts.token, Date.now, opts.viewerToken) };
  app.addHook('onRequest', async (req) => authorize(req, access));

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof CutoverError) return reply.status(err.status).send(err.toJSON());
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.status(status).send({ code: 'BAD_REQUEST', message: (err as Error).message });
    }
    opts.logger?.error({ err }, 'control API request failed');
    return reply.status(500).send({ code: 'INTERNAL', message: 'internal error; see the controller log' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, hint: 'see docs/api.md' });
  });

  app.get('/healthz', async () => ({ ok: true }));

  // Status is the controller's view; HTTPS services also get the certificates the proxy serves now (left out, not
  // failed, when the proxy cannot be asked).
  const withCertificates = async (statuses: RolloutStatus[], service?: string): Promise<RolloutStatus[]> => {
    let certs: ServiceCertificate[];
    try {
      certs = await control.certificates(service);
    } catch (err) {
      opts.logger?.warn({ err }, 'could not read the certificates from the proxy; status shown without them');
      return statuses;
    }
    return statuses.map((s) => {
      const own = certs.filter((c) => c.service === s.service);
      return own.length > 0 ? { ...s, certificates: own } : s;
    });
  };
  app.get('/api/v1/services', async () => withCertificates(control.status()));
  app.get<{ Params: { service: string } }>('/api/v1/services/:service', async (req) => (await withCertificates(control.status(req.params.service), req.params.service))[0]);
  app.get('/api/v1/certificates', async (req) => control.certificates(parseBody(certificatesQuerySchema, req.query).service));
  // Env values may be secrets: a viewer sees their names only; others get them masked (see secrets.ts: this output
  // ends up in CI logs) unless they ask for them.
  const showSecrets = (q: { showSecrets?: string }): boolean => q.showSecrets === 'true';
  app.get<{ Params: { service: string }; Querystring: { showSecrets?: string } }>('/api/v1/services/:service/revisions', async (req) => {
    const revisions = control.history(req.params.service);
    if (callerOf(req)?.role === 'viewer') return revisions.map((r) => ({ ...r, env: Object.fromEntries(Object.keys(r.env).map((k) => [k, '[redacted]'])) }));
    return showSecrets(req.query) ? revisions : revisions.map((r) => maskEnv(r, opts.token));
  });
  app.get<{ Params: { service: string } }>('/api/v1/services/:service/shadow', async (req) => control.shadowReport(req.params.service));
  app.get<{ Params: { service: string } }>('/api/v1/services/:service/experiment', async (req) => control.experimentReport(req.params.service));
  app.get('/api/v1/events', async (req) => {
    const q = parseBody(eventsQuerySchema, req.query);
    return control.events({ service: q.service, sinceId: q.since, limit: q.limit });
  });

  app.post<{ Params: { service: string }; Querystring: { dryRun?: string; showSecrets?: string } }>('/api/v1/services/:service/deploy', async (req, reply) => {
    const body = parseBody(deployBodySchema, req.body);
    if (req.query.dryRun === 'true') {
      const plan = control.dryRun(req.params.service, body);
      return showSecrets(req.query) ? plan : { ...plan, revision: maskEnv(plan.revision, opts.token) };
    }
    return reply.status(202).send(await control.deploy(req.params.service, body));
  });
  app.post<{ Params: { service: string } }>('/api/v1/services/:service/promote', async (req) =>
    control.promote(req.params.service, parseBody(promoteBodySchema, req.body)),
  );
  app.post<{ Params: { service: string } }>('/api/v1/services/:service/undo', async (req) =>
    control.undo(req.params.service, parseBody(undoBodySchema, req.body)),
  );
  for (const verb of ['abort', 'retry', 'pause', 'resume'] as const) {
    app.post<{ Params: { service: string } }>(`/api/v1/services/:service/${verb}`, async (req) => control[verb](req.params.service));
  }
  registerInstanceRoutes(app, control);
  registerStream(app, control, access, { logger: opts.logger, ...(opts.flags ? { flags: opts.flags } : {}) });
  registerDashboardRoutes(app, access, opts.dashboardDir);
  if (opts.flags) {
    registerFlagAdminRoutes(app, opts.flags, { clientToken: opts.clientToken });
    registerClientApiRoutes(app, opts.flags);
    registerOfrepRoutes(app, opts.flags);
    registerFlagStream(app, opts.flags, { heartbeatMs: opts.flagStreamHeartbeatMs });
  }
  // Made at the first scrape when the caller has none, so an API without a running controller (flags only) can be built.
  let metrics = opts.metrics;
  registerObservability(app, control, () => (metrics ??= new ControllerMetrics(control)), opts.observability);
  if (opts.notifications) registerNotificationRoutes(app, opts.notifications);
  return app;
}
