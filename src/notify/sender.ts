/**
 * One attempt at one delivery: a POST with undici, the delivery's stored body, its headers and the hook's timeout.
 * Any 2xx delivers; anything else (another status, a timeout, a refused connection) is a failed attempt to retry.
 * Redirects are not followed (the body and its signature go only where the hook says).
 */
import { request } from 'undici';
import type { Delivery } from '../store/outbox.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from './signature.ts';
import type { Webhook } from './webhook.ts';

export interface AttemptResult {
  ok: boolean;
  /** The answer's status, null when there was none. */
  status: number | null;
  /** Why it failed, for `cutover notifications` and the log: never the URL's path, never the secret. */
  error: string | null;
  /** The answer's Retry-After, in ms, when it had one in seconds. */
  retryAfterMs?: number;
}

const USER_AGENT = 'cutover-webhook/1';

export async function sendDelivery(hook: Webhook, d: Delivery, signal: AbortSignal): Promise<AttemptResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    [DELIVERY_HEADER]: d.id,
    [EVENT_HEADER]: d.event,
  };
  if (hook.sign) headers[SIGNATURE_HEADER] = hook.sign(d.body);
  try {
    const res = await request(hook.url, {
      method: 'POST',
      headers,
      body: d.body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(hook.timeoutMs)]),
      headersTimeout: hook.timeoutMs,
      bodyTimeout: hook.timeoutMs,
    });
    await res.body.dump();
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode, error: null };
    const retryAfter = Number(res.headers['retry-after']);
    return { ok: false, status: res.statusCode, error: `HTTP ${res.statusCode}`, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
  } catch (err) {
    if (signal.aborted) throw err;
    return { ok: false, status: null, error: describe(err, hook) };
  }
}

function describe(err: unknown, hook: Webhook): string {
  const e = err as Error & { code?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${hook.timeoutMs} ms`;
  const code = e.cause?.code ?? e.code;
  // Messages of connection errors name host and port at most; strip anything URL-like to be sure.
  return `${code ? `${code}: ` : ''}${e.message}`.replaceAll(hook.url, hook.origin).slice(0, 300);
}
