import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BadRequestError, CutoverError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { parseBody } from '../shared/parse-body.ts';
import { bearerMatches } from '../shared/token.ts';
import type { Proxy } from './proxy.ts';
import { drainBodySchema, parseRoutesState, readyBodySchema, type RoutesState } from './contract.ts';

export interface AdminServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_ADMIN_BODY = 8 * 1024 * 1024;
/** Where the admin API's request bodies are described (a 400's hint). */
const ADMIN_BODIES = 'docs/proxy.md';

/**
 * The admin HTTP API the controller drives the proxy through. 127.0.0.1 by
 * default; every route except /healthz needs the bearer token.
 */
export interface AdminServerOptions {
  host?: string;
  port?: number;
  token: string;
  /** Called after each successful PUT /routes (the process persists the table here). */
  afterApply?: (state: RoutesState) => Promise<void> | void;
  /** Serve HTTPS with this certificate (a host's proxy, reached over the network, not loopback). */
  tls?: { cert: string; key: string };
}

export async function startAdminServer(proxy: Proxy, opts: AdminServerOptions): Promise<AdminServer> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(proxy, opts.token, opts.afterApply, req, res).catch((err: unknown) => sendError(res, err));
  };
  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createServer(onRequest);
  // Longer than the client's idle timeout, so the client always closes idle connections first.
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function handle(proxy: Proxy, token: string, afterApply: AdminServerOptions['afterApply'], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/healthz') return sendJson(res, 200, { ok: true });
  if (!bearerMatches(req.headers.authorization, token)) throw new UnauthorizedError();
  if (path === '/routes' && method === 'PUT') {
    const state = parseRoutesState(await readJson(req), 'PUT /routes body');
    await proxy.apply(state);
    await afterApply?.(state);
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/routes' && method === 'GET') return sendJson(res, 200, proxy.routes());
  if (path === '/stats' && method === 'GET') return sendJson(res, 200, proxy.stats());
  if (path === '/certificates' && method === 'GET') return sendJson(res, 200, proxy.certificates());
  if (path === '/metrics' && method === 'GET') {
    const text = await proxy.metricsText();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    return void res.end(text);
  }
  const m = /^\/instances\/([^/]+)\/(ready|drain)$/.exec(path);
  if (m && m[2] === 'ready' && method === 'PUT') {
    const body = parseBody(readyBodySchema, await readJson(req), ADMIN_BODIES);
    const id = decodeId(m[1]!);
    if (!proxy.setReady(id, body.ready)) throw new NotFoundError('instance', id);
    return sendJson(res, 200, { ok: true });
  }
  if (m && m[2] === 'drain' && method === 'POST') {
    const body = parseBody(drainBodySchema, await readJson(req), ADMIN_BODIES);
    return sendJson(res, 200, await proxy.drain(decodeId(m[1]!), body.timeoutMs));
  }
  throw new NotFoundError('route', `${method} ${path}`);
}

/** An instance id from the path; malformed percent-encoding is the caller's mistake (400), not ours. */
function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestError(`instance id "${raw}" is not valid percent-encoding`, 'encode the id with encodeURIComponent');
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_ADMIN_BODY) throw new BadRequestError('body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new BadRequestError('body is not valid JSON', 'send Content-Type: application/json with a JSON body');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof CutoverError) return sendJson(res, err.status, err.toJSON());
  sendJson(res, 500, { code: 'INTERNAL', message: (err as Error).message ?? String(err) });
}
