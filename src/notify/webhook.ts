/**
 * A configured webhook made ready to send: its secret read once (from `secret`, `secretFile` or `secretEnv`) and
 * kept in a closure, so no object that could be logged or serialized ever holds it; its URL shown only as its origin
 * (a Slack incoming-webhook URL is itself a secret).
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { NotificationsConfig, WebhookConfig } from '../config/schema.ts';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { Logger } from '../shared/log.ts';
import type { NoticeFilter } from './filter.ts';
import type { WebhookFormat } from './payload.ts';
import type { Backoff } from './retry-delay.ts';
import { signBody } from './signature.ts';

export interface Webhook {
  name: string;
  /** The full URL, for the sender only: never log it or answer it. */
  url: string;
  /** scheme://host[:port]: what logs and the API show. */
  origin: string;
  filter: NoticeFilter;
  format: WebhookFormat;
  timeoutMs: number;
  maxAttempts: number;
  backoff: Backoff;
  /** The X-Cutover-Signature value for a body; null when the hook has no secret. */
  sign: ((body: string) => string) | null;
}

/**
 * Readies every configured hook, or throws one ConfigError naming each hook whose secret cannot be read.
 * `baseDir` resolves a relative secretFile (the config file's directory); `source` names the file in the error.
 */
export function resolveWebhooks(config: NotificationsConfig, baseDir: string, env: NodeJS.ProcessEnv = process.env, logger?: Logger, source = 'notifications'): Webhook[] {
  const issues: ConfigIssue[] = [];
  const hooks = config.webhooks.map((h, i) => {
    const where = `notifications.webhooks.${i}`;
    let secret: string | undefined;
    try {
      secret = readSecret(h, baseDir, env, logger);
    } catch (err) {
      issues.push({ path: `${where}.${h.secretFile !== undefined ? 'secretFile' : 'secretEnv'}`, message: (err as Error).message, hint: 'provide the secret, or remove the field to send unsigned' });
    }
    return ready(h, secret);
  });
  if (issues.length) throw new ConfigError(source, issues);
  return hooks;
}

function ready(h: WebhookConfig, secret: string | undefined): Webhook {
  return {
    name: h.name,
    url: h.url,
    origin: new URL(h.url).origin,
    filter: { events: h.events, services: h.services },
    format: h.format,
    timeoutMs: h.timeout,
    maxAttempts: h.maxAttempts,
    backoff: h.backoff,
    sign: secret === undefined ? null : (body) => signBody(secret, body),
  };
}

function readSecret(h: WebhookConfig, baseDir: string, env: NodeJS.ProcessEnv, logger?: Logger): string | undefined {
  if (h.secret !== undefined) return h.secret;
  if (h.secretEnv !== undefined) {
    const v = env[h.secretEnv];
    if (!v) throw new Error(`the environment variable ${h.secretEnv} is not set (or empty) for \`cutover up\``);
    return v;
  }
  if (h.secretFile === undefined) return undefined;
  const file = isAbsolute(h.secretFile) ? h.secretFile : resolve(baseDir, h.secretFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const secret = text.trim();
  if (!secret) throw new Error(`the secret file ${file} is empty`);
  if ((statSync(file).mode & 0o077) !== 0) logger?.warn({ hook: h.name, file }, 'the webhook secret file is readable by others than its owner; chmod 600 it');
  return secret;
}
