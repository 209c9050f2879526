/**
 * A real webhook receiver on 127.0.0.1 (port 0 unless given): it keeps every request it got and checks each
 * signature itself with node:crypto (not with Cutover's signing code), the way a user's receiver would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** True when X-Cutover-Signature is the HMAC-SHA256 of the body with the receiver's secret. */
  signatureValid: boolean;
}

export interface Receiver {
  port: number;
  url: string;
  got: Received[];
  /** Parsed bodies of the requests answered 2xx. */
  accepted(): Record<string, unknown>[];
  close(): Promise<void>;
}

/** `answer(n)` is the status for the n-th request (0-based; 0: no answer at all); default 200. */
export async function startReceiver(opts: { secret?: string; port?: number; answer?: (n: number) => number } = {}): Promise<Receiver> {
  const got: Received[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      got.push({ headers: req.headers, body, signatureValid: verify(opts.secret, body, req.headers['x-cutover-signature']) });
      const status = opts.answer?.(got.length - 1) ?? 200;
      statuses.push(status);
      if (status === 0) return; // never answer
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks/cutover`,
    got,
    accepted: () => got.filter((_, i) => statuses[i]! < 300).map((g) => JSON.parse(g.body) as Record<string, unknown>),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function verify(secret: string | undefined, body: string, header: string | string[] | undefined): boolean {
  if (secret === undefined || typeof header !== 'string') return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
