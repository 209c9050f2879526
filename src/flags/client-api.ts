/**
 * Unleash's client API, so Unleash's SDKs use Cutover as their server by
 * changing only the URL (`http://<cutover>/api`) and the token (the client
 * token, sent as Unleash sends it: the bare token in Authorization).
 *
 * - `GET /api/client/features`: the features document, with an ETag that
 *   changes with the flags' revision (If-None-Match → 304). `namePrefix` and
 *   `project` filter it. SDKs that announce client spec ≥ 4.2.0 (header
 *   Unleash-Client-Spec) get segments by reference; older ones get each
 *   segment's constraints copied into the strategies, as Unleash's server does.
 * - `POST /api/client/register`: an SDK says hello (kept in memory).
 * - `POST /api/client/metrics`: its yes/no and variant counts, added to each flag's totals.
 */
import type { FastifyInstance } from 'fastify';
import semver from 'semver';
import { BadRequestError } from '../errors.ts';
import { inlineSegments, segmentLookup } from './segments.ts';
import type { FlagService } from './service.ts';

function wantsSegmentsByReference(spec: string | string[] | undefined): boolean {
  const v = typeof spec === 'string' ? semver.coerce(spec) : null;
  return v !== null && semver.gte(v, '4.2.0');
}

export function registerClientApiRoutes(app: FastifyInstance, flags: FlagService): void {
  app.get<{ Querystring: { namePrefix?: string; project?: string | string[] } }>('/api/client/features', { config: { access: 'client' } }, async (req, reply) => {
    const snap = flags.snapshot();
    const { namePrefix } = req.query;
    const projects = req.query.project === undefined ? undefined : ([] as string[]).concat(req.query.project);
    const byReference = wantsSegmentsByReference(req.headers['unleash-client-spec']);
    const variant = [byReference ? '' : 'i', namePrefix ? `p${Buffer.from(namePrefix).toString('base64url')}` : '', projects ? `j${Buffer.from(projects.join(',')).toString('base64url')}` : '']
      .filter(Boolean)
      .join('-');
    const etag = `"cutover-${snap.revision}${variant ? `-${variant}` : ''}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    let features = snap.document.features;
    if (namePrefix) features = features.filter((f) => f.name.startsWith(namePrefix));
    if (projects) features = features.filter((f) => projects.includes(f.project ?? 'default'));
    const segments = snap.document.segments ?? [];
    if (!byReference) return { version: 2, features: inlineSegments(features, segmentLookup(segments)), query: { namePrefix, project: projects }, meta: { revisionId: snap.revision, etag } };
    return { version: 2, features, segments, query: { namePrefix, project: projects }, meta: { revisionId: snap.revision, etag } };
  });

  app.post('/api/client/register', { config: { access: 'client' } }, async (req, reply) => {
    if (!req.body || typeof req.body !== 'object') throw new BadRequestError('register: the body must be a JSON object', 'send what Unleash SDKs send: { appName, instanceId, ... }');
    flags.register(req.body as Record<string, unknown>);
    return reply.status(202).send();
  });

  app.post('/api/client/metrics', { config: { access: 'client' } }, async (req, reply) => {
    const body = req.body as Parameters<FlagService['recordMetrics']>[0] | undefined;
    if (!body || typeof body !== 'object' || (body.bucket !== undefined && typeof body.bucket !== 'object')) {
      throw new BadRequestError('metrics: the body must be a JSON object with a bucket', 'send what Unleash SDKs send: { appName, instanceId, bucket: { toggles } }');
    }
    flags.recordMetrics(body);
    return reply.status(202).send();
  });
}
