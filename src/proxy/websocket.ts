import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { hostForUrl, type Cuttable, type Upstream } from './upstream.ts';
import { headerValue } from './headers.ts';
import type { RequestHead } from './http1/head-parser.ts';
import { plainAnswer } from './http1/plain-answer.ts';

/** Close code sent to clients when their instance is drained: "service restart", reconnect. */
export const WS_SERVICE_RESTART = 1012;

const kProtocol = Symbol('upstreamProtocol');
type UpgradeReq = IncomingMessage & { [kProtocol]?: string };

/**
 * WebSocket passthrough. Both sides are terminated in the proxy (ws on both
 * ends) so that, at a drain timeout, the client gets a proper close frame
 * with 1012 instead of a reset.
 */
export class WebSocketRelay {
  private readonly server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_protocols, req) => (req as UpgradeReq)[kProtocol] ?? false,
  });

  handle(head: RequestHead, socket: Duplex, rest: Buffer, u: Upstream, headers: string[]): void {
    const req = asIncoming(head);
    const protocols = headerValue(head.headers, 'sec-websocket-protocol');
    const upstream = new WebSocket(`ws://${hostForUrl(u.host)}:${u.port}${head.target}`, protocols ? protocols.split(',').map((p) => p.trim()) : [], {
      headers: forwardable(headers),
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    const pair = new RelayPair(u);
    upstream.once('open', () => {
      (req as UpgradeReq)[kProtocol] = upstream.protocol || undefined;
      if (socket.destroyed) return upstream.terminate();
      this.server.handleUpgrade(req, socket, rest, (client) => pair.join(client, upstream));
    });
    upstream.once('unexpected-response', (_r, res) => {
      rawReply(socket, res.statusCode ?? 502, `upstream refused the WebSocket upgrade (${res.statusCode})`);
      upstream.terminate();
    });
    upstream.once('error', (err) => {
      if (pair.client) return;
      rawReply(socket, 502, `upstream instance "${u.id}" failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
  }

  /** Proxy shutdown: clients get 1012 too, so they reconnect to whichever proxy comes next. */
  close(): void {
    for (const c of this.server.clients) c.close(WS_SERVICE_RESTART, 'proxy restart');
    this.server.close();
  }
}

/** One relayed connection; counted on the instance so drain waits for it, and cut with 1012. */
class RelayPair implements Cuttable {
  client: WebSocket | undefined;
  inFlightIndex = -1;
  private upstream: WebSocket | undefined;
  private ended = false;

  constructor(private readonly u: Upstream) {}

  join(client: WebSocket, upstream: WebSocket): void {
    this.client = client;
    this.upstream = upstream;
    this.u.active.add(this);
    client.on('message', relay(client, upstream));
    upstream.on('message', relay(upstream, client));
    client.on('close', (code, reason) => this.end(upstream, code, reason));
    upstream.on('close', (code, reason) => this.end(client, code, reason));
    client.on('error', () => upstream.terminate());
    upstream.on('error', () => client.close(1011, 'upstream error'));
  }

  cut(): void {
    this.client?.close(WS_SERVICE_RESTART, 'service restart');
    this.upstream?.close(1001, 'going away');
    // A client that never answers the close frame must not hold the drain forever.
    setTimeout(() => this.client?.terminate(), 5_000).unref();
    this.release();
  }

  private end(other: WebSocket, code: number, reason: Buffer): void {
    if (other.readyState === WebSocket.OPEN) other.close(sendableCode(code), reason);
    this.release();
  }

  private release(): void {
    if (this.ended) return;
    this.ended = true;
    this.u.active.delete(this);
    this.u.released();
  }
}

/** Bytes queued toward one side before the other side stops being read, and the level at which it reads again. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/** Forwards messages from one side to the other, pausing the sender while the receiver's queue is full. */
function relay(from: WebSocket, to: WebSocket): (data: RawData, isBinary: boolean) => void {
  const sent = (): void => {
    if (from.isPaused && to.bufferedAmount < LOW_WATER) from.resume();
  };
  return (data, isBinary) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, sent);
    if (to.bufferedAmount > HIGH_WATER) from.pause();
  };
}

/** 1005/1006/1015 describe a close but may not be sent in a frame. */
function sendableCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 || code < 1000 ? 1000 : code;
}

/** What ws's handleUpgrade reads of a request: method, target and lower-cased headers. */
function asIncoming(head: RequestHead): UpgradeReq {
  const headers: Record<string, string> = {};
  for (let i = 0; i < head.headers.length; i += 2) {
    const n = head.headers[i]!.toLowerCase();
    headers[n] = headers[n] === undefined ? head.headers[i + 1]! : `${headers[n]}, ${head.headers[i + 1]}`;
  }
  return { method: head.method, url: head.target, headers } as unknown as UpgradeReq;
}

/** The ws client sets its own handshake headers; everything else (Host, cookies, auth, X-Forwarded-*) goes along. */
function forwardable(headers: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!.toLowerCase();
    if (n.startsWith('sec-websocket-')) continue;
    out[n] = out[n] ? `${out[n]}, ${headers[i + 1]}` : headers[i + 1]!;
  }
  return out;
}

export function rawReply(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  socket.end(plainAnswer(status, message, 'connection: close\r\n'), 'latin1');
}
