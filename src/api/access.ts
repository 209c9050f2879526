/**
 * Who may call what on the control API. A caller is the admin (the `token`,
 * or a dashboard session opened with it), a viewer (the `viewer-token`, or a
 * session opened with it), a flag client (the `client-token`: SDKs, OFREP,
 * providers), or nobody.
 *
 * - Routes marked `config: { public: true }` need no one (the dashboard's
 *   static files, its login).
 * - The client token may call only routes marked `config: { access: 'client' }`
 *   (it reads flags and changes nothing) and never opens a dashboard session.
 * - Reads need the admin or a viewer, except routes marked
 *   `config: { access: 'admin' }` (e.g. the client token itself), which need
 *   the admin.
 * - Writes need the admin (routes marked `anyRole`, like logging out, any
 *   admin or viewer); a write made with a session cookie also needs the
 *   session's CSRF token in the `x-cutover-csrf` header (a bearer token is
 *   never sent by a browser on its own, so it needs none).
 */
import type { FastifyRequest } from 'fastify';
import { CutoverError, UnauthorizedError } from '../errors.ts';
import { ForbiddenError as ClientForbiddenError } from '../flags/errors.ts';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue, type Role, type Session, type Sessions } from './session.ts';
import { bearerMatches } from '../shared/token.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** "client": the client token may call it too (SDKs, OFREP, providers). "admin": admin only, even to read. Default: reads for admin and viewer, writes for admin. */
    access?: 'client' | 'admin';
    /** No credentials needed (the dashboard's page, assets and login). */
    public?: boolean;
    /** A write any admin or viewer caller may make (logging out). */
    anyRole?: boolean;
  }
  interface FastifyRequest {
    /** The name of the token the request carried (or the role of its dashboard session): "admin", "viewer" or "client". */
    tokenName?: CallerRole;
  }
}

/** A dashboard session's role, or the flag client's. */
export type CallerRole = Role | 'client';

export interface Caller {
  role: CallerRole;
  /** Set when the caller came with a session cookie rather than a bearer token. */
  session?: Session;
}

export interface AccessOptions {
  token: string;
  viewerToken?: string;
  /** Reads flags only (routes marked `access: 'client'`); never opens the dashboard. */
  clientToken?: string;
  sessions: Sessions;
}

export class ForbiddenError extends CutoverError {
  constructor() {
    super('FORBIDDEN', 'the viewer token may read but not act', { status: 403, hint: 'use the admin token (<stateDir>/token) to change a rollout or a flag' });
  }
}

export class AdminOnlyError extends CutoverError {
  constructor() {
    super('FORBIDDEN', 'only the admin token may read this', { status: 403, hint: 'use the admin token (<stateDir>/token)' });
  }
}

export class CsrfError extends CutoverError {
  constructor() {
    super('CSRF_TOKEN_INVALID', `a write with a session cookie needs the session's CSRF token in the ${CSRF_HEADER} header`, {
      status: 403,
      hint: 'reload the dashboard; GET /api/v1/session returns the token',
    });
  }
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** The caller the access check found for this request (undefined on public routes without credentials). */
export function callerOf(req: FastifyRequest): Caller | undefined {
  return callers.get(req);
}

/** The caller a request's credentials name: bearer token first, else session cookie. */
export function identify(req: FastifyRequest, opts: AccessOptions): Caller | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const role = roleOfBearer(auth, opts);
    return role && { role };
  }
  const session = opts.sessions.verify(cookieValue(req.headers.cookie, SESSION_COOKIE));
  return session && { role: session.role, session };
}

/** The role an Authorization header's token grants, if any (`Bearer <token>` or the bare token, see bearerMatches). */
export function roleOfBearer(header: string, opts: AccessOptions): CallerRole | undefined {
  if (bearerMatches(header, opts.token)) return 'admin';
  if (opts.viewerToken && bearerMatches(header, opts.viewerToken)) return 'viewer';
  if (opts.clientToken && bearerMatches(header, opts.clientToken)) return 'client';
  return undefined;
}

/** The onRequest check: throws UnauthorizedError, ForbiddenError (viewer or client token), AdminOnlyError or CsrfError. */
export function authorize(req: FastifyRequest, opts: AccessOptions): void {
  const caller = identify(req, opts);
  if (caller) {
    callers.set(req, caller);
    req.tokenName = caller.role;
  }
  const config = req.routeOptions.config ?? {};
  if (config.public || req.url === '/healthz') return;
  if (!caller) throw new UnauthorizedError();
  if (caller.role === 'client') {
    if (config.access !== 'client') throw new ClientForbiddenError(req.method === 'GET' || req.method === 'HEAD' ? 'read this' : 'change anything');
    return;
  }
  if (config.access === 'admin' && caller.role !== 'admin') throw new AdminOnlyError();
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (caller.session && !opts.sessions.csrfMatches(caller.session, headerValue(req.headers[CSRF_HEADER]))) throw new CsrfError();
  if (caller.role !== 'admin' && !config.anyRole) throw new ForbiddenError();
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
