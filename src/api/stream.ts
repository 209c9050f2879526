/**
 * `GET /api/v1/stream`: server-sent events for the dashboard. On connect a
 * `snapshot` (status of every service, their instances, the latest events);
 * then, every second, a `tick` (status, instances and the second's traffic
 * sample per service) and one `event` message per new rollout event. The
 * stream asks the browser to reconnect after 1 s, so a restarted controller
 * is picked up by itself; a new snapshot then replaces what the page held.
 *
 * With a flag service, the snapshot also has `flags` (every flag and the
 * newest flag changes), and a `flags` message follows, at the next tick, any
 * change of the flags' revision: every flag again and the change events since
 * the last message. (Null `flags` in the snapshot: this API serves no flags.)
 *
 * The same once-a-second sampler fills the TrafficHistory behind
 * `GET /api/v1/stats?service=…&since=…`.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ControlPlane, RolloutEvent } from '../rollout/types.ts';
import { flagView } from '../flags/admin-api.ts';
import type { FlagsUpdate } from '../flags/records.ts';
import type { FlagService } from '../flags/service.ts';
import type { Logger } from '../shared/log.ts';
import { identify, type AccessOptions } from './access.ts';
import { parseBody } from '../shared/parse-body.ts';
import { TrafficHistory, type TrafficSample } from './traffic-history.ts';

export const STREAM_INTERVAL_MS = 1000;
const SNAPSHOT_EVENTS = 50;
/** A client that has not read this much of what was sent (a stalled tab) is dropped; it reconnects when it wakes. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const statsQuerySchema = z.object({ service: z.string().min(1), since: z.coerce.number().int().min(0).optional() }).strict();

export interface StreamOptions {
  logger?: Logger;
  intervalMs?: number;
  /** Flags in the snapshot and `flags` messages on change. */
  flags?: FlagService;
}

export function registerStream(app: FastifyInstance, control: ControlPlane, access: AccessOptions, opts: StreamOptions = {}): void {
  const { logger, flags } = opts;
  const intervalMs = opts.intervalMs ?? STREAM_INTERVAL_MS;
  const history = new TrafficHistory();
  /** Open streams and the request that opened each: its credentials are checked again every tick (a session may end). */
  const clients = new Map<ServerResponse, FastifyRequest>();
  let lastEventId = newestEventId(control);
  let busy = false;
  let flagRevision = flags?.snapshot().revision ?? 0;
  let lastFlagEventId = flags ? newestFlagEventId(flags) : 0;
  /** The flags message when they changed since the last tick (the event cursor moves even with nobody listening). */
  const flagsChange = (): FlagsUpdate | undefined => {
    if (!flags || flags.snapshot().revision === flagRevision) return undefined;
    flagRevision = flags.snapshot().revision;
    const events = flags.events({ sinceId: lastFlagEventId, limit: 1000 });
    lastFlagEventId = events.at(-1)?.id ?? lastFlagEventId;
    return { revision: flagRevision, flags: flags.list().map(flagView), events };
  };

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
      const flagsUpdate = flagsChange();
      if (clients.size === 0) return;
      const tickData = frame('tick', { time, status: control.status(), instances: control.instances(), samples });
      const eventData = events.map((e) => frame('event', e, e.id));
      const flagsData = flagsUpdate ? frame('flags', flagsUpdate) : '';
      for (const [res, req] of clients) {
        if (!identify(req, access) || res.writableLength > MAX_BUFFERED_BYTES) drop(res);
        else res.write(tickData + eventData.join('') + flagsData);
      }
    } catch (err) {
      logger?.warn({ err }, 'stream tick failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  const drop = (res: ServerResponse) => {
    clients.delete(res);
    res.end();
    res.socket?.destroy();
  };

  app.addHook('preClose', async () => {
    clearInterval(timer);
    // Streams never go idle: end them, or closing the server would wait for the browsers.
    for (const res of [...clients.keys()]) drop(res);
  });

  app.get('/api/v1/stats', async (req) => {
    const q = parseBody(statsQuerySchema, req.query);
    control.status(q.service);
    return history.samples(q.service, q.since);
  });

  app.get('/api/v1/stream', async (req, reply) => {
    const snapshot = { time: Date.now(), status: control.status(), instances: control.instances(), events: recentEvents(control), flags: flags ? flagsSnapshot(flags) : null };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${intervalMs}\n\n` + frame('snapshot', snapshot));
    clients.set(res, req);
    req.raw.socket.setKeepAlive(true);
    res.on('close', () => clients.delete(res));
  });
}

function newestEventId(control: ControlPlane): number {
  try {
    return control.events({ limit: 1 }).at(-1)?.id ?? 0;
  } catch {
    return 0;
  }
}

/** The newest events, oldest first (without sinceId the store answers the last `limit`). */
function recentEvents(control: ControlPlane): RolloutEvent[] {
  return control.events({ limit: SNAPSHOT_EVENTS });
}

function newestFlagEventId(flags: FlagService): number {
  return flags.events({ limit: 1 }).at(-1)?.id ?? 0;
}

/** Every flag and the newest flag changes, oldest first. */
function flagsSnapshot(flags: FlagService): FlagsUpdate {
  return { revision: flags.snapshot().revision, flags: flags.list().map(flagView), events: flags.events({ limit: SNAPSHOT_EVENTS }) };
}

/** One SSE message; data is JSON on one line. */
function frame(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}
