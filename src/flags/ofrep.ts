/**
 * OFREP, the OpenFeature Remote Evaluation Protocol: Cutover evaluates.
 * `POST /ofrep/v1/evaluate/flags/{key}` answers one flag, `POST
 * /ofrep/v1/evaluate/flags` all of them (with an ETag over the flags'
 * revision and the context, so an unchanged answer is a 304). The value is the
 * flag's enabled state; the variant is Unleash's variant name ("disabled" when
 * none); the metadata carries the variant's payload type and value.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { canonical } from './canonical.ts';
import type { Evaluation } from './evaluator.ts';
import { toUnleashContext } from './openfeature-context.ts';
import type { FlagService } from './service.ts';

export interface OfrepResult {
  key: string;
  value: boolean;
  reason: string;
  variant: string;
  metadata: Record<string, string | number | boolean>;
}

export function ofrepResult(key: string, e: Evaluation): OfrepResult {
  const metadata: Record<string, string | boolean> = { variantEnabled: e.variant.enabled };
  if (e.variant.payload) {
    metadata.payloadType = e.variant.payload.type;
    metadata.payloadValue = e.variant.payload.value;
  }
  return { key, value: e.enabled, reason: e.reason, variant: e.variant.name, metadata };
}

function contextOf(body: unknown): Record<string, unknown> | string {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object with a "context" object';
  const ctx = (body as { context?: unknown }).context;
  if (ctx === undefined || ctx === null) return {};
  if (typeof ctx !== 'object' || Array.isArray(ctx)) return '"context" must be an object';
  return ctx as Record<string, unknown>;
}

export function registerOfrepRoutes(app: FastifyInstance, flags: FlagService): void {
  app.post<{ Params: { key: string } }>('/ofrep/v1/evaluate/flags/:key', { config: { access: 'client' } }, async (req, reply) => {
    const { key } = req.params;
    const ctx = contextOf(req.body);
    if (typeof ctx === 'string') return reply.status(400).send({ key, errorCode: 'INVALID_CONTEXT', errorDetails: ctx });
    const e = flags.snapshot().evaluator.evaluate(key, toUnleashContext(ctx));
    if (!e) return reply.status(404).send({ key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag "${key}" does not exist` });
    return ofrepResult(key, e);
  });

  app.post('/ofrep/v1/evaluate/flags', { config: { access: 'client' } }, async (req, reply) => {
    const ctx = contextOf(req.body);
    if (typeof ctx === 'string') return reply.status(400).send({ errorCode: 'INVALID_CONTEXT', errorDetails: ctx });
    const snap = flags.snapshot();
    const etag = `"${createHash('sha1').update(`${snap.revision}\0${canonical(ctx)}`).digest('base64url').slice(0, 20)}"`;
    reply.header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    const unleashCtx = toUnleashContext(ctx);
    return { flags: snap.evaluator.names().map((key) => ofrepResult(key, snap.evaluator.evaluate(key, unleashCtx)!)) };
  });
}
