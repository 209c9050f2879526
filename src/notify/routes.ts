/** `GET /api/v1/notifications`: the webhooks and their recent deliveries (admin token; secrets never in it). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../shared/parse-body.ts';
import type { DeliveryQuery } from '../store/outbox.ts';
import type { NotificationsReport } from './report.ts';

export const notificationsQuerySchema = z
  .object({
    hook: z.string().min(1).optional(),
    state: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

export interface NotificationsSource {
  report(query: DeliveryQuery): NotificationsReport;
}

export function registerNotificationRoutes(app: FastifyInstance, source: NotificationsSource): void {
  // Admin only: hook names, target origins and delivery errors describe the operator's outside systems.
  app.get('/api/v1/notifications', { config: { access: 'admin' } }, async (req) => {
    const q = parseBody(notificationsQuerySchema, req.query);
    return source.report({ ...(q.hook ? { hook: q.hook } : {}), ...(q.state ? { state: q.state } : {}), limit: q.limit ?? 50 });
  });
}
