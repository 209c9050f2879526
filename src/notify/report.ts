/**
 * What `GET /api/v1/notifications` and `cutover notifications` show: each hook as configured (its URL's origin only,
 * whether it signs, never its secret) with its delivery counts, and the recent deliveries without their bodies.
 */
import type { Delivery, DeliveryQuery, DeliveryState } from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import type { Webhook } from './webhook.ts';

export interface WebhookView {
  name: string;
  /** scheme://host[:port] of the URL. */
  target: string;
  format: Webhook['format'];
  events: string[];
  services: string[] | null;
  signed: boolean;
  maxAttempts: number;
  counts: Record<DeliveryState, number>;
}

export type DeliveryView = Omit<Delivery, 'body'>;

export interface NotificationsReport {
  webhooks: WebhookView[];
  /** Newest first. */
  deliveries: DeliveryView[];
}

export function buildReport(store: Store, hooks: Webhook[], query: DeliveryQuery): NotificationsReport {
  const counts = store.countDeliveries();
  const webhooks = hooks.map((h) => ({
    name: h.name,
    target: h.origin,
    format: h.format,
    events: h.filter.events,
    services: h.filter.services ?? null,
    signed: h.sign !== null,
    maxAttempts: h.maxAttempts,
    counts: Object.fromEntries((['pending', 'delivered', 'failed'] as const).map((s) => [s, counts.find((c) => c.hook === h.name && c.state === s)?.count ?? 0])) as Record<DeliveryState, number>,
  }));
  const deliveries = store.listDeliveries(query).map(({ body: _body, ...rest }) => rest);
  return { webhooks, deliveries };
}
