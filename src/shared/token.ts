/**
 * Bearer tokens: made once (32 random bytes, hex), kept in a file only the
 * owner can read, and checked in constant time. The control API, the proxy's
 * admin API and the flag readers each have their own token, so holding one
 * does not grant another.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-file.ts';

/**
 * Where a bearer token lives: `token` for the control API (the CLI reads it),
 * `viewer-token` for read-only access to the control API (GET routes and the
 * dashboard without its actions), `proxy-token` for the proxy's admin API
 * (only the controller needs it), `client-token` for flag readers (Unleash
 * SDKs, OFREP, providers: it reads flags and changes nothing), so holding one
 * does not grant another.
 */
export type TokenName = 'token' | 'viewer-token' | 'proxy-token' | 'client-token';

export function tokenPath(stateDir: string, name: TokenName = 'token'): string {
  return join(stateDir, name);
}

/** The token in `file`, or undefined when the file is missing or empty (an empty token must never be accepted). */
export function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reads the token in `file`, creating it (32 random bytes, mode 0600, atomically) on first use. */
export function ensureTokenFile(file: string): string {
  const existing = readTokenFile(file);
  if (existing) return existing;
  const token = randomBytes(32).toString('hex');
  writeFileAtomicSync(file, `${token}\n`, 0o600);
  return token;
}

/** A state dir's token, or undefined when it has none yet (see tokenPath). */
export function readToken(stateDir: string, name: TokenName = 'token'): string | undefined {
  return readTokenFile(tokenPath(stateDir, name));
}

/** A state dir's token, created on first start (see tokenPath). */
export function ensureToken(stateDir: string, name: TokenName = 'token'): string {
  return ensureTokenFile(tokenPath(stateDir, name));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Whether an Authorization header carries `token`: `Bearer <token>`, or the
 * token alone, which is what Prometheus's `http_sd_configs` send when
 * `authorization` has no `type` (prometheus/docs#2377) and how Unleash's SDKs
 * send theirs. Constant time: both sides are hashed to 32 bytes first, so
 * neither the given token's content nor its length shows in the time taken.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  return sameSecret((header.startsWith('Bearer ') ? header.slice(7) : header).trim(), token);
}

/** Constant-time comparison of two secrets (tokens, session signatures); an empty one never matches. */
export function sameSecret(given: string, want: string): boolean {
  if (!given || !want) return false;
  return timingSafeEqual(digest(given), digest(want));
}
