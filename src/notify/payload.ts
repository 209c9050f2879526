/**
 * The bodies webhooks receive, built once when a delivery is enqueued and sent byte for byte on every attempt.
 * `json` is Cutover's own payload; `slack` is `{ text, blocks }`, what a Slack incoming webhook (and Mattermost,
 * Discord's /slack endpoint) accepts.
 */
import type { Notice } from './notice.ts';
import { summarize } from './summary.ts';

export type WebhookFormat = 'json' | 'slack';

/** The `json` payload (docs/notifications.md). */
export interface JsonPayload {
  /** The X-Cutover-Delivery id, inside the signed body too. */
  delivery: string;
  event: string;
  eventId: number;
  service: string | null;
  revision: number | null;
  version: string | null;
  reason: string;
  /** ISO 8601, UTC. */
  time: string;
  summary: string;
  /** Flag and segment changes only. */
  flag?: { name: string; actor: string };
}

export function jsonPayload(n: Notice, delivery: string): JsonPayload {
  return {
    delivery,
    event: n.event,
    eventId: n.eventId,
    service: n.service,
    revision: n.revision,
    version: n.version,
    reason: n.reason,
    time: new Date(n.time).toISOString(),
    summary: summarize(n),
    ...(n.subject !== null ? { flag: { name: n.subject, actor: n.actor ?? '' } } : {}),
  };
}

/** Slack's `{ text, blocks }`: the summary as the notification text, a section and a context line; all escaped. */
export function slackPayload(n: Notice): { text: string; blocks: unknown[] } {
  const summary = summarize(n);
  const facts = [
    `*${escapeMrkdwn(n.event)}*`,
    n.service !== null ? `service *${escapeMrkdwn(n.service)}*` : null,
    n.revision !== null ? `revision ${n.revision}${n.version ? ` (${escapeMrkdwn(n.version)})` : ''}` : null,
    n.subject !== null ? `flag *${escapeMrkdwn(n.subject)}* by ${escapeMrkdwn(n.actor ?? '')}` : null,
    new Date(n.time).toISOString(),
  ].filter((f) => f !== null);
  return {
    text: escapeMrkdwn(summary),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(summary) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join(' · ') }] },
    ],
  };
}

export function renderBody(format: WebhookFormat, n: Notice, delivery: string): string {
  return JSON.stringify(format === 'slack' ? slackPayload(n) : jsonPayload(n, delivery));
}

/** Slack's three control characters; escaped, a reason can never become a link or a mention. */
function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
