/**
 * The outbox filler: reads the events each log gained since its cursor and, in one store transaction, inserts a
 * delivery for every (hook, event) the hook's filter wants and moves the cursor past them. A kill -9 before that
 * commit leaves the cursor where it was (the events are read again); after it, both the deliveries and the cursor are
 * there. Events are numbered by SQLite in commit order (one writer at a time), so no event can appear behind the
 * cursor later.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.ts';
import type { NewDelivery, OutboxStream } from '../store/outbox.ts';
import { wants } from './filter.ts';
import { fromFlagEvent, fromRolloutEvent, type Notice } from './notice.ts';
import { renderBody } from './payload.ts';
import type { Webhook } from './webhook.ts';

/** Events read per stream and pass: a large backlog is worked through over several ticks. */
const BATCH = 500;

/** Enqueues what is new in both logs; returns how many deliveries were added. */
export function enqueueNew(store: Store, hooks: Webhook[], now: number): number {
  let added = 0;
  for (const stream of ['events', 'flagEvents'] as const) added += enqueueStream(store, stream, hooks, now);
  return added;
}

function enqueueStream(store: Store, stream: OutboxStream, hooks: Webhook[], now: number): number {
  const from = store.outboxCursor(stream);
  const notices = stream === 'events' ? rolloutNotices(store, from) : store.listFlagEvents({ sinceId: from, limit: BATCH }).map(fromFlagEvent);
  if (!notices.length) return 0;
  const deliveries = notices.flatMap((n) => hooks.filter((h) => wants(h.filter, n)).map((h) => delivery(h, n, now)));
  return store.enqueueDeliveries(stream, from, notices.at(-1)!.eventId, deliveries) ? deliveries.length : 0;
}

function rolloutNotices(store: Store, from: number): Notice[] {
  const versions = new Map<string, string | null>();
  const versionOf = (service: string, revision: number | undefined): string | null => {
    if (revision === undefined) return null;
    const key = `${service}\0${revision}`;
    if (!versions.has(key)) versions.set(key, store.getRevision(service, revision)?.version ?? null);
    return versions.get(key)!;
  };
  return store.listEvents({ sinceId: from, limit: BATCH }).map((e) => fromRolloutEvent(e, versionOf(e.service, e.revision)));
}

function delivery(h: Webhook, n: Notice, now: number): NewDelivery {
  const id = randomUUID();
  return { id, hook: h.name, stream: n.stream, eventId: n.eventId, event: n.event, service: n.service, revision: n.revision, body: renderBody(h.format, n, id), createdAt: now };
}
