/**
 * Server push of flag changes: `GET /api/client/flags/stream` (client or admin
 * token) is a text/event-stream that sends the whole client features document
 * as an event `flags` (its id the revision) when it opens and after every
 * change, and a comment every `heartbeatMs` so a quiet connection is told
 * from a dead one. One serialisation per change, whatever the number of
 * listeners. Streams are ended when the API closes.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { FlagService, FlagSnapshot } from './service.ts';

export const FLAG_STREAM_PATH = '/api/client/flags/stream';

export function flagEvent(snap: FlagSnapshot): string {
  return `id: ${snap.revision}\nevent: flags\ndata: ${JSON.stringify({ revision: snap.revision, ...snap.document })}\n\n`;
}

export function registerFlagStream(app: FastifyInstance, flags: FlagService, opts: { heartbeatMs?: number } = {}): void {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const open = new Set<ServerResponse>();
  let last: { revision: number; text: string } | undefined;
  const message = (snap: FlagSnapshot) => {
    if (last?.revision !== snap.revision) last = { revision: snap.revision, text: flagEvent(snap) };
    return last.text;
  };

  const unsubscribe = flags.onChange((snap) => {
    const text = message(snap);
    for (const res of open) res.write(text);
  });
  const beat = setInterval(() => {
    for (const res of open) res.write(': ping\n\n');
  }, heartbeatMs);
  beat.unref();

  app.get(FLAG_STREAM_PATH, { config: { access: 'client' } }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.socket?.setNoDelay(true);
    res.write(`retry: 1000\n: heartbeat ${heartbeatMs}\n\n`);
    res.write(message(flags.snapshot()));
    open.add(res);
    req.raw.on('close', () => open.delete(res));
  });

  app.addHook('preClose', async () => {
    clearInterval(beat);
    unsubscribe();
    for (const res of open) res.end();
    open.clear();
  });
}
