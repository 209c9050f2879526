/**
 * Dashboard sessions. A browser logs in once (with a token, or a one-time
 * link from `cutover dashboard`) and then holds only a session cookie. The
 * cookie is signed with a key derived from the admin token, so a session
 * survives a controller restart and ends when the token is rotated. The CSRF
 * token of a session is derived from it the same way: the page reads it from
 * `GET /api/v1/session` and sends it back in a header on every write.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../shared/token.ts';

export type Role = 'admin' | 'viewer';

export const SESSION_COOKIE = 'cutover_session';
export const CSRF_HEADER = 'x-cutover-csrf';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const LOGIN_CODE_TTL_MS = 2 * 60 * 1000;

export interface Session {
  id: string;
  role: Role;
  expiresAt: number;
}

export class Sessions {
  private readonly key: Buffer;
  private readonly viewerKey: Buffer;
  private readonly codes = new Map<string, { role: Role; expiresAt: number }>();
  /** Logged-out session ids until they expire (in memory: a restart forgets them, the cookie is gone from the browser anyway). */
  private readonly revoked = new Map<string, number>();

  constructor(
    adminToken: string,
    private readonly now: () => number = Date.now,
    viewerToken?: string,
  ) {
    // Viewer sessions are signed with a key that also depends on the viewer token: rotating either token ends them.
    this.key = createHmac('sha256', adminToken).update('cutover dashboard session v1').digest();
    this.viewerKey = viewerToken === undefined ? this.key : createHmac('sha256', adminToken).update(`cutover dashboard viewer session v1\0${viewerToken}`).digest();
  }

  /** A new session and the cookie value that carries it. */
  issue(role: Role): { session: Session; cookie: string } {
    const session = { id: randomBytes(16).toString('base64url'), role, expiresAt: this.now() + SESSION_TTL_MS };
    const body = `${session.role}.${session.expiresAt}.${session.id}`;
    return { session, cookie: `${body}.${this.sign(body)}` };
  }

  /** The session a cookie value carries, or undefined when it is forged, expired or logged out. */
  verify(cookie: string | undefined): Session | undefined {
    const parts = cookie?.split('.');
    if (parts?.length !== 4) return undefined;
    const [role, expires, id, sig] = parts as [string, string, string, string];
    if (!sameSecret(sig, this.sign(`${role}.${expires}.${id}`))) return undefined;
    const expiresAt = Number(expires);
    if ((role !== 'admin' && role !== 'viewer') || !(expiresAt > this.now()) || this.revoked.has(id)) return undefined;
    return { id, role, expiresAt };
  }

  csrfToken(session: Session): string {
    return this.sign(`csrf.${session.id}`);
  }

  csrfMatches(session: Session, given: string | undefined): boolean {
    return given !== undefined && sameSecret(given, this.csrfToken(session));
  }

  revoke(session: Session): void {
    const now = this.now();
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
    this.revoked.set(session.id, session.expiresAt);
  }

  /** A one-time login code for a link; it works once, within LOGIN_CODE_TTL_MS. */
  loginCode(role: Role): { code: string; expiresAt: number } {
    const now = this.now();
    for (const [c, v] of this.codes) if (v.expiresAt <= now) this.codes.delete(c);
    const code = randomBytes(24).toString('base64url');
    const expiresAt = now + LOGIN_CODE_TTL_MS;
    this.codes.set(code, { role, expiresAt });
    return { code, expiresAt };
  }

  /** The role of a login code, consuming it; undefined when unknown, used or expired. */
  redeem(code: string): Role | undefined {
    const found = this.codes.get(code);
    this.codes.delete(code);
    return found && found.expiresAt > this.now() ? found.role : undefined;
  }

  private sign(text: string): string {
    // The role is the first field of what is signed: a viewer's cookie or CSRF token is signed with the viewer key.
    const key = text.startsWith('viewer.') ? this.viewerKey : this.key;
    return createHmac('sha256', key).update(text).digest('base64url');
  }
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session (HttpOnly, SameSite=Strict, Secure over HTTPS); maxAgeS 0 clears it. */
export function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}
