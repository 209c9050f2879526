/**
 * Who may call what on the control API. A caller is the admin (the `token`),
 * a viewer (the `viewer-token`, or a session opened with it), or nobody.
 * Routes marked `config: { public: true }` need no one (the dashboard's
 * static files, its login). Reads need any caller; writes need the admin, and
 * a write made with a session cookie also needs the session's CSRF token in
 * the `x-cutover-csrf` header (a bearer token is never sent by a browser on
 * its own, so it needs none).
 */
import type { FastifyRequest } from 'fastify';
import { CutoverError, UnauthorizedError } from '../errors.ts';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue, type Role, type Session, type Sessions } from './session.ts';
import { bearerMatches } from './token.ts';

export interface Caller {
  role: Role;
  /** Set when the caller came with a session cookie rather than a bearer token. */
  session?: Session;
}

export interface AccessOptions {
  token: string;
  viewerToken?: string;
  sessions: Sessions;
}

export class ForbiddenError extends CutoverError {
  constructor() {
    super('FORBIDDEN', 'the viewer token may read but not act', { status: 403, hint: 'use the admin token (<stateDir>/token) to change a rollout' });
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

/** The role an Authorization header's bearer token grants, if any. */
export function roleOfBearer(header: string, opts: AccessOptions): Role | undefined {
  if (bearerMatches(header, opts.token)) return 'admin';
  if (opts.viewerToken && bearerMatches(header, opts.viewerToken)) return 'viewer';
  return undefined;
}

/** The onRequest check: throws UnauthorizedError, ForbiddenError or CsrfError. */
export function authorize(req: FastifyRequest, opts: AccessOptions): void {
  const caller = identify(req, opts);
  if (caller) callers.set(req, caller);
  const config = req.routeOptions.config as { public?: boolean; anyRole?: boolean };
  if (config.public || req.url === '/healthz') return;
  if (!caller) throw new UnauthorizedError();
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (caller.session && !opts.sessions.csrfMatches(caller.session, headerValue(req.headers[CSRF_HEADER]))) throw new CsrfError();
  if (caller.role !== 'admin' && !config.anyRole) throw new ForbiddenError();
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
