/**
 * Env values are secrets more often than not (a DATABASE_URL with its
 * password, API keys, `deploy --env` values), and what the API returns ends
 * up in CI logs. So revisions leave the API with each value replaced by a
 * short keyed hash: the keys stay readable and a changed value shows as a
 * changed hash, but the value cannot be read back or checked against guesses
 * without the key (the API token). `?showSecrets=true` returns them as stored.
 */
import { createHmac } from 'node:crypto';

/** How a masked value starts, followed by 12 hex digits. */
export const MASKED_PREFIX = 'masked:';

/** One value as shown by default: HMAC-SHA256 (keyed with `key`) of its name and value, shortened. */
export function maskValue(key: string, name: string, value: string): string {
  return MASKED_PREFIX + createHmac('sha256', key).update(name).update('\0').update(value).digest('hex').slice(0, 12);
}

/** The same object with every env value masked (the original is not changed). */
export function maskEnv<T extends { env: Record<string, string> }>(holder: T, key: string): T {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(holder.env)) env[name] = maskValue(key, name, value);
  return { ...holder, env };
}
