/**
 * Which notices a webhook gets: its `events` filter ("*", a type, or a "Prefix*") and its `services` filter (flag
 * changes belong to no service, so a hook with a services filter does not get them). NotificationFailed is never
 * sent.
 *
 * @example
 * wants({ events: ['Rollout*'], services: ['web'] }, { event: 'RolloutAborted', service: 'web' }) // true
 * wants({ events: ['Rollout*'], services: ['web'] }, { event: 'RolloutAborted', service: 'api' }) // false
 */
import { NOTIFICATION_FAILED, type Notice } from './notice.ts';

export interface NoticeFilter {
  events: string[];
  services?: string[] | undefined;
}

export function wants(filter: NoticeFilter, n: Pick<Notice, 'event' | 'service'>): boolean {
  if (n.event === NOTIFICATION_FAILED) return false;
  if (filter.services && (n.service === null || !filter.services.includes(n.service))) return false;
  return filter.events.some((f) => f === '*' || f === n.event || (f.endsWith('*') && n.event.startsWith(f.slice(0, -1))));
}
