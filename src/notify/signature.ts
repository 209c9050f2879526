/**
 * The signature of a body: `sha256=<hex HMAC-SHA256 of the exact body bytes with the hook's secret>`, sent as
 * X-Cutover-Signature (the shape GitHub's X-Hub-Signature-256 has, so existing verifiers work).
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-cutover-signature';
export const DELIVERY_HEADER = 'x-cutover-delivery';
export const EVENT_HEADER = 'x-cutover-event';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
