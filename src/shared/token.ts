/**
 * Bearer tokens: made once (32 random bytes, hex), kept in a file only the
 * owner can read, and checked in constant time. The control API and the
 * proxy's admin API each have their own token, so holding one does not grant
 * the other.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-file.ts';

export type TokenName = 'token' | 'proxy-token';

/** Where a state dir keeps a token: `token` for the control API (the CLI reads it), `proxy-token` for the proxy's admin API (only the controller needs it). */
export function tokenPath(stateDir: string, name: TokenName = 'token'): string {
  return join(stateDir, name);
}

/** A new random token. */
export function createToken(): string {
  return randomBytes(32).toString('hex');
}

/** The token in `file`, or undefined when the file is missing or empty (an empty token must never be accepted). */
export function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reads the token in `file`, creating it (mode 0600, atomically) on first use. */
export function ensureTokenFile(file: string): string {
  const existing = readTokenFile(file);
  if (existing) return existing;
  const token = createToken();
  writeFileAtomicSync(file, `${token}\n`, 0o600);
  return token;
}

/** A state dir's token (see tokenPath). */
export function readToken(stateDir: string, name: TokenName = 'token'): string | undefined {
  return readTokenFile(tokenPath(stateDir, name));
}

/** A state dir's token, created on first start (see tokenPath). */
export function ensureToken(stateDir: string, name: TokenName = 'token'): string {
  return ensureTokenFile(tokenPath(stateDir, name));
}

/** What a server keeps of its token to check requests against: its SHA-256. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Whether an Authorization header carries the token whose digest is `expected`.
 * Constant time: the given token is hashed to 32 bytes first, so neither its
 * content nor its length shows in the time taken.
 */
export function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  return timingSafeEqual(tokenDigest(header.slice(7).trim()), expected);
}
