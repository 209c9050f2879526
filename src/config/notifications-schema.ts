/**
 * `notifications`: webhooks told about rollout and flag events (see docs/notifications.md). The event names a hook
 * may filter on are listed here, so a misspelt filter is a config error instead of a hook that never fires.
 */
import { z } from 'zod';
import { duration } from '../shared/duration.ts';

/** Event types of the rollout log (docs/rollouts.md#events) and of flag changes, as webhooks name them. */
export const NOTIFIABLE_EVENTS = [
  'RolloutStarted', 'RolloutSuperseded', 'StepCompleted', 'Paused', 'Resumed', 'Promoted', 'PreviewReady',
  'RolloutCompleted', 'RolloutAborted', 'RolloutRetried', 'RolledBack', 'ProgressDeadlineExceeded', 'CrashLoop',
  'AnalysisFailed', 'AnalysisError', 'ScaledDownOld', 'ShadowStarted', 'ShadowPassed', 'ShadowFailed',
  'ExperimentStarted', 'ExperimentConcluded', 'StrategyChanged', 'MigrationCompleted', 'MigrationRolledBack',
  'MigrationHookFailed', 'InstanceStarted', 'InstanceReady', 'InstanceUnready', 'InstanceRestarted', 'InstanceFailed',
  'InstanceStopped', 'InstanceLost', 'InstanceStartFailed', 'HostUnreachable', 'HostReachable',
  'FlagCreated', 'FlagUpdated', 'FlagDeleted', 'SegmentCreated', 'SegmentUpdated', 'SegmentDeleted',
] as const;

/** What a hook gets without an `events` filter: a rollout's milestones and failures, and flag changes. */
export const DEFAULT_WEBHOOK_EVENTS = [
  'RolloutStarted', 'StepCompleted', 'Paused', 'Promoted', 'RolloutAborted', 'AnalysisFailed', 'RolloutCompleted',
  'RolledBack', 'ShadowFailed', 'ExperimentConcluded', 'HostUnreachable', 'FlagCreated', 'FlagUpdated', 'FlagDeleted',
];

/** "*" (every event), an event type, or a prefix ending in "*" ("Rollout*", "Flag*") that matches at least one. */
const eventFilter = z.string().superRefine((f, ctx) => {
  const known = NOTIFIABLE_EVENTS as readonly string[];
  const ok = f === '*' || (f.endsWith('*') ? known.some((e) => e.startsWith(f.slice(0, -1))) : known.includes(f));
  if (!ok) ctx.addIssue({ code: 'custom', message: `"${f}" matches no event type; use "*", a type (${known.slice(0, 8).join(', ')}, ... see docs/notifications.md) or a prefix like "Rollout*"` });
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _');

export const webhookSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and dashes').describe('Names the hook in logs, `cutover notifications` and events'),
    url: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
      .describe('Where events are POSTed. Only its origin is ever logged or shown (a Slack URL is a secret)'),
    // A number is taken as its digits: a type error would print the secret in the config error.
    secret: z.union([z.string().min(1), z.number()]).transform(String).optional().describe('Signs each body: X-Cutover-Signature: sha256=<HMAC-SHA256 hex>. Prefer secretFile or secretEnv'),
    secretFile: z.string().min(1).optional().describe('A file holding the secret (relative to this config file; should be mode 0600)'),
    secretEnv: envName.optional().describe('An environment variable of `cutover up` holding the secret'),
    events: z.array(eventFilter).min(1).default(DEFAULT_WEBHOOK_EVENTS).describe('Event types sent: names, "Prefix*" or "*"'),
    services: z.array(z.string()).min(1).optional().describe('Only these services\' events (flag changes belong to no service and are then not sent); default all'),
    format: z.enum(['json', 'slack']).default('json').describe('json: Cutover\'s payload; slack: { text, blocks } for a Slack incoming webhook'),
    timeout: duration.default(5000).describe('Time for the receiver to answer one attempt'),
    maxAttempts: z.number().int().min(1).max(50).default(10).describe('Attempts before the delivery is given up (a NotificationFailed event)'),
    backoff: z
      .object({
        initial: duration.default(1000).describe('Wait after the first failed attempt; it doubles after each (with jitter)'),
        max: duration.default(300_000).describe('Longest wait between attempts'),
      })
      .strict()
      .default({ initial: 1000, max: 300_000 }),
  })
  .strict()
  .superRefine((h, ctx) => {
    const sources = (['secret', 'secretFile', 'secretEnv'] as const).filter((k) => h[k] !== undefined);
    if (sources.length > 1) ctx.addIssue({ code: 'custom', path: [sources[1]!], message: `set one of secret, secretFile, secretEnv, not ${sources.join(' and ')}` });
    if (h.backoff.max < h.backoff.initial) ctx.addIssue({ code: 'custom', path: ['backoff', 'max'], message: 'backoff.max must be at least backoff.initial' });
  });

export const notificationsSchema = z
  .object({ webhooks: z.array(webhookSchema).default([]) })
  .strict()
  .superRefine((n, ctx) => {
    const seen = new Set<string>();
    n.webhooks.forEach((h, i) => {
      if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'name'], message: `webhook name "${h.name}" is used twice; give each hook its own name` });
      seen.add(h.name);
    });
  });

/** Issues for service filters naming no service of the config (called from the config's own check). */
export function unknownWebhookServices(n: z.output<typeof notificationsSchema>, services: string[]): { path: (string | number)[]; message: string }[] {
  return n.webhooks.flatMap((h, i) =>
    (h.services ?? []).flatMap((s, j) =>
      services.includes(s) ? [] : [{ path: ['notifications', 'webhooks', i, 'services', j], message: `no service "${s}" in this config (services: ${services.join(', ')})` }],
    ),
  );
}
