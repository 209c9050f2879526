/** Plain-text rendering of `cutover notifications`. */
import type { NotificationsReport } from '../notify/report.ts';
import { table } from './format.ts';

export function formatNotifications(r: NotificationsReport): string {
  if (!r.webhooks.length && !r.deliveries.length) return 'no webhooks configured (see docs/notifications.md)';
  const hooks = [['WEBHOOK', 'TARGET', 'FORMAT', 'SIGNED', 'PENDING', 'DELIVERED', 'FAILED']];
  for (const h of r.webhooks) hooks.push([h.name, h.target, h.format, h.signed ? 'yes' : 'no', String(h.counts.pending), String(h.counts.delivered), String(h.counts.failed)]);
  const rows = [['TIME', 'WEBHOOK', 'EVENT', 'SERVICE', 'STATE', 'ATTEMPTS', 'LAST ERROR']];
  for (const d of r.deliveries) {
    const state = d.state === 'pending' && d.attempts > 0 ? `retry ${new Date(d.nextAttemptAt).toISOString().slice(11, 19)}` : d.state;
    rows.push([new Date(d.createdAt).toISOString(), d.hook, `${d.event} #${d.eventId}`, d.service ?? '-', state, String(d.attempts), d.lastError ?? '']);
  }
  return `${table(hooks)}\n\n${r.deliveries.length ? table(rows) : 'no deliveries yet'}`;
}
