/**
 * A notice: one event of either log (rollout events, flag changes) in the one shape webhooks are built from.
 *
 * @example
 * fromFlagEvent({ id: 7, time: 0, kind: 'flag', name: 'checkout', type: 'updated', actor: 'admin', before: null, after: null })
 * // { stream: 'flagEvents', eventId: 7, event: 'FlagUpdated', service: null, subject: 'checkout', actor: 'admin', ... }
 */
import type { FlagEvent } from '../flags/records.ts';
import type { OutboxStream } from '../store/outbox.ts';
import type { RolloutEvent } from '../store/records.ts';

export interface Notice {
  stream: OutboxStream;
  eventId: number;
  /** The event type: RolloutAborted, FlagUpdated... */
  event: string;
  /** Null for flag changes. */
  service: string | null;
  revision: number | null;
  /** The revision's version label when the revision is known. */
  version: string | null;
  reason: string;
  /** Epoch ms. */
  time: number;
  /** Flag changes: the flag's name (or the segment's id). */
  subject: string | null;
  /** Flag changes: who made it ("admin", "config", "rollout:web"). */
  actor: string | null;
}

/** The type a give-up is recorded as; never delivered itself, so two failing hooks cannot feed each other. */
export const NOTIFICATION_FAILED = 'NotificationFailed';

export function fromRolloutEvent(e: RolloutEvent, version: string | null): Notice {
  return {
    stream: 'events',
    eventId: e.id,
    event: e.type,
    service: e.service,
    revision: e.revision ?? null,
    version,
    reason: e.reason,
    time: e.time,
    subject: null,
    actor: null,
  };
}

export function fromFlagEvent(e: FlagEvent): Notice {
  const kind = e.kind === 'flag' ? 'Flag' : 'Segment';
  const verb = e.type[0]!.toUpperCase() + e.type.slice(1);
  return {
    stream: 'flagEvents',
    eventId: e.id,
    event: `${kind}${verb}`,
    service: null,
    revision: null,
    version: null,
    reason: e.reason ?? `${e.kind} ${e.name} ${e.type} by ${e.actor}`,
    time: e.time,
    subject: e.name,
    actor: e.actor,
  };
}
