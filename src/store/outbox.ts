/**
 * The notification outbox's records: one delivery per (webhook, event), with the exact body it sends and where its
 * attempts stand, and one cursor per event log saying up to which event id deliveries were made. The dispatcher
 * (src/notify) moves a cursor and inserts the deliveries it implies in one transaction (`enqueueDeliveries`), so a
 * kill -9 either keeps both or neither: no event is skipped and none is enqueued twice.
 */

/** The event logs deliveries come from: rollout events (`events`) and flag changes (`flag_events`). */
export type OutboxStream = 'events' | 'flagEvents';
export const OUTBOX_STREAMS: readonly OutboxStream[] = ['events', 'flagEvents'];

/** pending: to be sent (again) at nextAttemptAt; delivered: a 2xx answered; failed: given up. */
export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  /** Sent as X-Cutover-Delivery; the same on every attempt, so a receiver can drop repeats. */
  id: string;
  /** The webhook's name in cutover.yaml. */
  hook: string;
  stream: OutboxStream;
  /** The id of the event in its stream. */
  eventId: number;
  /** The event's type, e.g. RolloutAborted, FlagUpdated. */
  event: string;
  /** Null for flag changes. */
  service: string | null;
  revision: number | null;
  /** The exact bytes sent (and signed) on every attempt. */
  body: string;
  state: DeliveryState;
  attempts: number;
  /** Epoch ms; meaningful while pending. */
  nextAttemptAt: number;
  /** HTTP status of the last attempt, null when it got no answer. */
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewDelivery = Pick<Delivery, 'id' | 'hook' | 'stream' | 'eventId' | 'event' | 'service' | 'revision' | 'body' | 'createdAt'>;

/** The outcome of one attempt (or of giving up on a delivery whose hook is gone). */
export interface DeliveryUpdate {
  id: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  time: number;
}

export interface DeliveryQuery {
  hook?: string;
  state?: DeliveryState;
  /** The newest `limit` (default 100), newest first. */
  limit?: number;
}

export interface DeliveryCount {
  hook: string;
  state: DeliveryState;
  count: number;
}
