/**
 * The dashboard's routes on the control API: its static files (built by Vite
 * into dist/dashboard at `npm run build`), the login and the session.
 *
 *   GET  /                     the page (public)
 *   GET  /assets/*             hashed assets (public, cached for good)
 *   GET  /login?code=…         one-time link from `cutover dashboard`: sets the session cookie, redirects to /
 *   POST /api/v1/session       { token } → sets the session cookie; { role, csrf } (admin or viewer token; never the client token)
 *   GET  /api/v1/session       { role, csrf } of the current session (or bearer caller)
 *   POST /api/v1/session/logout
 *   POST /api/v1/login-links   { role? } → { code, path, expiresAt } (admin only)
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { UnauthorizedError } from '../errors.ts';
import { callerOf, roleOfBearer, type AccessOptions } from './access.ts';
import { parseBody } from '../shared/parse-body.ts';
import { SESSION_TTL_MS, sessionCookie, type Role } from './session.ts';

/** Where `npm run build` puts the dashboard: <package>/dist/dashboard (this file is two levels below the package root in src/, dist/ and a test build alike). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const loginBodySchema = z.object({ token: z.string().min(1).max(512) }).strict();
const linkBodySchema = z.object({ role: z.enum(['admin', 'viewer']).optional() }).strict();

export function registerDashboardRoutes(app: FastifyInstance, access: AccessOptions, dir: string = DEFAULT_DASHBOARD_DIR): void {
  const { sessions } = access;
  const pub = { config: { public: true } };

  app.get('/', pub, async (_req, reply) => sendFile(reply, dir, 'index.html'));
  app.get<{ Params: { '*': string } }>('/assets/*', pub, async (req, reply) => sendFile(reply, dir, `assets/${req.params['*']}`));
  app.get('/favicon.svg', pub, async (_req, reply) => sendFile(reply, dir, 'favicon.svg'));

  const login = (req: FastifyRequest, reply: FastifyReply, role: Role) => {
    const { session, cookie } = sessions.issue(role);
    reply.header('set-cookie', sessionCookie(cookie, SESSION_TTL_MS / 1000, req.protocol === 'https'));
    return { role, csrf: sessions.csrfToken(session), expiresAt: session.expiresAt };
  };

  app.get<{ Querystring: { code?: string } }>('/login', pub, async (req, reply) => {
    const role = typeof req.query.code === 'string' ? sessions.redeem(req.query.code) : undefined;
    reply.header('cache-control', 'no-store');
    if (!role) return reply.redirect('/?login=expired', 303);
    login(req, reply, role);
    return reply.redirect('/', 303);
  });

  app.post('/api/v1/session', pub, async (req, reply) => {
    const { token } = parseBody(loginBodySchema, req.body);
    const role = roleOfBearer(`Bearer ${token}`, access);
    // The client token reads flags for SDKs; it opens no dashboard session.
    if (!role || role === 'client') throw new UnauthorizedError();
    return login(req, reply, role);
  });

  app.get('/api/v1/session', async (req) => {
    const caller = callerOf(req)!;
    return { role: caller.role, csrf: caller.session ? sessions.csrfToken(caller.session) : null, expiresAt: caller.session?.expiresAt ?? null };
  });

  app.post('/api/v1/session/logout', { config: { anyRole: true } }, async (req, reply) => {
    const caller = callerOf(req)!;
    if (caller.session) sessions.revoke(caller.session);
    reply.header('set-cookie', sessionCookie('', 0, req.protocol === 'https'));
    return { ok: true };
  });

  app.post('/api/v1/login-links', async (req, reply) => {
    const { role = 'admin' } = parseBody(linkBodySchema, req.body);
    const { code, expiresAt } = sessions.loginCode(role);
    reply.header('cache-control', 'no-store');
    return { role, code, path: `/login?code=${code}`, expiresAt };
  });
}

async function sendFile(reply: FastifyReply, dir: string, rel: string): Promise<FastifyReply> {
  const root = normalize(dir + sep);
  const file = normalize(join(root, rel));
  reply.headers(SECURITY_HEADERS);
  if (!file.startsWith(root) || !existsSync(file)) {
    const built = existsSync(join(root, 'index.html'));
    return reply
      .status(404)
      .type('text/plain; charset=utf-8')
      .send(built ? `not found: ${rel}\n` : 'the dashboard is not built: run `npm run build` in the cutover package\n');
  }
  const immutable = rel.startsWith('assets/');
  return reply
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .type(TYPES[extname(file)] ?? 'application/octet-stream')
    .send(await readFile(file));
}
