import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/** A tiny upstream on 127.0.0.1 and a free port, answering with its own name unless a handler says otherwise. */
export interface TestUpstream {
  name: string;
  port: number;
  server: Server;
  /** Requests seen, in order. */
  seen: IncomingMessage[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, name: string) => void;

export async function startUpstream(name: string, handler?: Handler): Promise<TestUpstream> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (handler) return handler(req, res, name);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(name);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** GET through the proxy; returns status, body and headers. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const res = await request(url, { headers });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

/** The body of a GET on a fresh connection (no keep-alive), for checks that must not reuse a socket. */
export async function httpText(port: number, path = '/', host = '127.0.0.1'): Promise<string> {
  const res = await fetch(`http://${host}:${port}${path}`, { headers: { connection: 'close' } });
  return res.text();
}

/** A one-service, one-listener routes state on a free port. */
export function oneService(revisions: Array<{ name: string; weightBp: number; ports: number[] }>, extra: Record<string, unknown> = {}) {
  return {
    listeners: [{ port: 0, host: '127.0.0.1', services: ['web'] }],
    services: [
      {
        name: 'web',
        revisions: revisions.map((r) => ({
          name: r.name,
          weightBp: r.weightBp,
          instances: r.ports.map((p, i) => ({ id: `${r.name}-${i}`, host: '127.0.0.1', port: p })),
        })),
        ...extra,
      },
    ],
  };
}

/** GET with node:http so headers undici refuses to send (Keep-Alive, Connection: x) can be tested. */
export function nodeGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An upstream in its own process, so a test can SIGKILL it like a crashing instance. */
export async function spawnUpstream(name: string): Promise<{ port: number; child: ChildProcess; kill(): Promise<void> }> {
  const code = `const http=require('node:http');const s=http.createServer((q,r)=>{q.resume();q.on('end',()=>r.end(${JSON.stringify(name)}))});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (c) => reject(new Error(`upstream ${name} exited with ${c}`)));
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return { port, child, kill };
}
