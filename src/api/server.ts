/**
 * The control API: a thin HTTP face on the ControlPlane. Every route except
 * /healthz needs the bearer token; bodies are validated with zod; errors are
 * CutoverErrors mapped to their HTTP status, never a crash.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BadRequestError, CutoverError, UnauthorizedError } from '../errors.ts';
import type { ControlPlane } from '../rollout/types.ts';
import type { Logger } from '../shared/log.ts';
import { bearerMatches } from './token.ts';
import { maskEnv } from './secrets.ts';

export const deployBodySchema = z
  .object({
    version: z.string().min(1).max(128),
    run: z.string().min(1).optional(),
    cwd: z.string().min(1).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _'), z.string()).optional(),
    strategy: z.enum(['rolling', 'blueGreen', 'canary']).optional(),
    migration: z.string().min(1).optional(),
  })
  .strict();

const promoteBodySchema = z.object({ full: z.boolean().optional() }).strict();
const undoBodySchema = z.object({ toRevision: z.number().int().min(1).optional() }).strict();
const eventsQuerySchema = z
  .object({
    service: z.string().optional(),
    since: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

export interface ApiOptions {
  control: ControlPlane;
  token: string;
  logger?: Logger;
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const path = first.path.join('.') || '(body)';
  throw new BadRequestError(`${path}: ${first.message}`, 'see docs/api.md for the request shape');
}

export function buildApi(opts: ApiOptions): FastifyInstance {
  // Fastify's own logger stays off: errors are logged here, with secrets redacted by our pino config.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const { control } = opts;

  app.addHook('onRequest', async (req) => {
    if (req.url === '/healthz') return;
    if (!bearerMatches(req.headers.authorization, opts.token)) throw new UnauthorizedError();
  });

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

  app.get('/api/v1/services', async () => control.status());
  app.get<{ Params: { service: string } }>('/api/v1/services/:service', async (req) => control.status(req.params.service)[0]);
  // Env values are masked unless asked for (see secrets.ts): this output ends up in CI logs.
  const showSecrets = (q: { showSecrets?: string }): boolean => q.showSecrets === 'true';
  app.get<{ Params: { service: string }; Querystring: { showSecrets?: string } }>('/api/v1/services/:service/revisions', async (req) => {
    const revisions = control.history(req.params.service);
    return showSecrets(req.query) ? revisions : revisions.map((r) => maskEnv(r, opts.token));
  });
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
  return app;
}
