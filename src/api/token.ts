import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where a bearer token lives: `token` for the control API (the CLI reads it),
 * `proxy-token` for the proxy's admin API (only the controller needs it),
 * `client-token` for flag readers (Unleash SDKs, OFREP, providers: it reads
 * flags and changes nothing), so holding one does not grant another.
 */
export type TokenName = 'token' | 'proxy-token' | 'client-token';

export function tokenPath(stateDir: string, name: TokenName = 'token'): string {
  return join(stateDir, name);
}

/** Reads the token, creating it (32 random bytes, file mode 0600) on first start. */
export function ensureToken(stateDir: string, name: TokenName = 'token'): string {
  const file = tokenPath(stateDir, name);
  const existing = readToken(stateDir, name);
  if (existing) return existing;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, token + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return token;
}

/** The token, or undefined when the file is missing or empty (an empty token must never be accepted). */
export function readToken(stateDir: string, name: TokenName = 'token'): string | undefined {
  try {
    return readFileSync(tokenPath(stateDir, name), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Constant-time comparison of an Authorization header against the token: `Bearer <token>`, or the token alone,
 * which is what Prometheus's `http_sd_configs` send when `authorization` has no `type` (prometheus/docs#2377) and
 * how Unleash's SDKs send theirs.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const given = Buffer.from((header.startsWith('Bearer ') ? header.slice(7) : header).trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
