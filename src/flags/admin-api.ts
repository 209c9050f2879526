/**
 * The admin side of flags in the control API: read, change, import, export,
 * the change log, the SDKs seen, the client token. Changes and the client
 * token need the admin token; the viewer token (and dashboard viewers) may
 * read the rest (see src/api/access.ts).
 * Every change answers with the flag as it now is and the events written.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../shared/parse-body.ts';
import { FlagNotFoundError } from './errors.ts';
import type { FlagEdit } from './edits.ts';
import type { FlagView, StoredFlag } from './records.ts';
import type { FlagService } from './service.ts';

const rolloutBody = z.object({ percent: z.number().min(0).max(100), reason: z.string().max(500).optional() }).strict();
const reasonBody = z.object({ reason: z.string().max(500).optional() }).strict();
const eventsQuery = z
  .object({ name: z.string().optional(), since: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() })
  .strict();

/** Who made the change: the name of the token the request carried. */
export function actorOf(req: FastifyRequest): string {
  return req.tokenName ?? 'admin';
}

/** A stored flag as the API lists it. */
export function flagView(f: StoredFlag): FlagView {
  return { ...f.definition, ...(f.configHash ? { managedBy: 'cutover.yaml' as const } : {}), updatedAt: f.updatedAt };
}

export function registerFlagAdminRoutes(app: FastifyInstance, flags: FlagService, opts: { clientToken?: string }): void {
  app.get<{ Querystring: { format?: string } }>('/api/v1/flags', async (req) => {
    if (req.query.format === 'unleash') return flags.export();
    const snap = flags.snapshot();
    const metrics = Object.fromEntries(flags.metrics().map((m) => [m.name, m]));
    return {
      revision: snap.revision,
      flags: flags.list().map((f) => ({ ...flagView(f), metrics: metrics[f.name] ?? null })),
      segments: flags.listSegments(),
    };
  });

  app.post<{ Querystring: { replace?: string; reason?: string } }>('/api/v1/flags', async (req) => {
    const events = flags.import(req.body, { actor: actorOf(req), replace: req.query.replace === 'true', reason: req.query.reason ?? 'import', source: 'the imported document' });
    return { revision: flags.snapshot().revision, events };
  });

  app.get<{ Params: { name: string } }>('/api/v1/flags/:name', async (req) => {
    const f = flags.get(req.params.name);
    if (!f) throw new FlagNotFoundError(req.params.name);
    return {
      flag: f.definition,
      ...(f.configHash ? { managedBy: 'cutover.yaml' } : {}),
      updatedAt: f.updatedAt,
      metrics: flags.metrics(f.name)[0] ?? null,
      events: flags.events({ name: f.name, limit: 20 }).filter((e) => e.kind === 'flag'),
    };
  });

  const change = (req: FastifyRequest, edit: FlagEdit, reason?: string) => {
    const events = flags.apply([edit], { actor: actorOf(req), ...(reason ? { reason } : {}) });
    return { flag: flags.get(edit.name)?.definition ?? null, events };
  };

  app.put<{ Params: { name: string }; Querystring: { reason?: string } }>('/api/v1/flags/:name', async (req) =>
    change(req, { op: 'set', name: req.params.name, definition: req.body ?? {} }, req.query.reason),
  );
  app.delete<{ Params: { name: string }; Querystring: { reason?: string } }>('/api/v1/flags/:name', async (req) => change(req, { op: 'delete', name: req.params.name }, req.query.reason));
  for (const op of ['enable', 'disable'] as const) {
    app.post<{ Params: { name: string } }>(`/api/v1/flags/:name/${op}`, async (req) => change(req, { op, name: req.params.name }, parseBody(reasonBody, req.body).reason));
  }
  app.post<{ Params: { name: string } }>('/api/v1/flags/:name/rollout', async (req) => {
    const body = parseBody(rolloutBody, req.body);
    return change(req, { op: 'rollout', name: req.params.name, percent: body.percent }, body.reason);
  });

  app.get('/api/v1/flag-events', async (req) => {
    const q = parseBody(eventsQuery, req.query);
    return flags.events({ name: q.name, sinceId: q.since, limit: q.limit });
  });
  app.get('/api/v1/flag-clients', async () => flags.clients());
  // A secret: the admin's alone (a viewer reads flags, not the token that reads them).
  app.get('/api/v1/client-token', { config: { access: 'admin' } }, async () => ({ token: opts.clientToken ?? null }));
}
