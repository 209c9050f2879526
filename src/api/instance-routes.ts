/**
 * Instances on the control API:
 *   GET /api/v1/services/:service/instances              [InstanceStatus]
 *   GET /api/v1/services/:service/instances/:id/logs?lines=N   { lines: string[] }  (default 50, at most 1000)
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ControlPlane } from '../rollout/types.ts';
import { parseBody } from '../shared/parse-body.ts';

const logsQuerySchema = z.object({ lines: z.coerce.number().int().min(1).max(1000).optional() }).strict();

export function registerInstanceRoutes(app: FastifyInstance, control: ControlPlane): void {
  app.get<{ Params: { service: string } }>('/api/v1/services/:service/instances', async (req) => control.instances(req.params.service));
  app.get<{ Params: { service: string; id: string } }>('/api/v1/services/:service/instances/:id/logs', async (req) => {
    const q = parseBody(logsQuerySchema, req.query);
    control.status(req.params.service);
    return { lines: await control.instanceLog(req.params.service, req.params.id, q.lines ?? 50) };
  });
}
