/**
 * `GET /api/v1/stream`: server-sent events for the dashboard. On connect a
 * `snapshot` (status of every service, their instances, the latest events);
 * then, every second, a `tick` (status, instances and the second's traffic
 * sample per service) and one `event` message per new rollout event. The
 * stream asks the browser to reconnect after 1 s, so a restarted controller
 * is picked up by itself; a new snapshot then replaces what the page held.
 *
 * The same once-a-second sampler fills the TrafficHistory behind
 * `GET /api/v1/stats?service=…&since=…`.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ControlPlane, RolloutEvent } from '../rollout/types.ts';
import type { Logger } from '../shared/log.ts';
import { parseBody } from './parse-body.ts';
import { TrafficHistory, type TrafficSample } from './traffic-history.ts';

export const STREAM_INTERVAL_MS = 1000;
const SNAPSHOT_EVENTS = 50;

const statsQuerySchema = z.object({ service: z.string().min(1), since: z.coerce.number().int().min(0).optional() }).strict();

export function registerStream(app: FastifyInstance, control: ControlPlane, logger?: Logger, intervalMs = STREAM_INTERVAL_MS): void {
  const history = new TrafficHistory();
  const clients = new Set<ServerResponse>();
  let lastEventId = control.events({ limit: 1 }).at(-1)?.id ?? 0;
  let busy = false;

  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const time = Date.now();
      let samples: Record<string, TrafficSample> = {};
      try {
        samples = history.record(time, await control.trafficStats());
      } catch (err) {
        logger?.debug({ err }, 'stream: proxy stats unavailable this second');
      }
      const events = control.events({ sinceId: lastEventId, limit: 1000 });
      lastEventId = events.at(-1)?.id ?? lastEventId;
      if (clients.size === 0) return;
      const tickData = frame('tick', { time, status: control.status(), instances: control.instances(), samples });
      const eventData = events.map((e) => frame('event', e, e.id));
      for (const res of clients) res.write(tickData + eventData.join(''));
    } catch (err) {
      logger?.warn({ err }, 'stream tick failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();

  app.addHook('preClose', async () => {
    clearInterval(timer);
    // Streams never go idle: end them, or closing the server would wait for the browsers.
    for (const res of clients) {
      res.end();
      res.socket?.destroy();
    }
    clients.clear();
  });

  app.get('/api/v1/stats', async (req) => {
    const q = parseBody(statsQuerySchema, req.query);
    control.status(q.service);
    return history.samples(q.service, q.since);
  });

  app.get('/api/v1/stream', async (req, reply) => {
    const snapshot = { time: Date.now(), status: control.status(), instances: control.instances(), events: recentEvents(control) };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${intervalMs}\n\n` + frame('snapshot', snapshot));
    clients.add(res);
    req.raw.socket.setKeepAlive(true);
    res.on('close', () => clients.delete(res));
  });
}

/** The newest events, oldest first (without sinceId the store answers the last `limit`). */
function recentEvents(control: ControlPlane): RolloutEvent[] {
  return control.events({ limit: SNAPSHOT_EVENTS });
}

/** One SSE message; data is JSON on one line. */
function frame(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}
