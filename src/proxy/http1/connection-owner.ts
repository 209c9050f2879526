/** What a client connection needs from around it: the listener that owns it, and the exchange of its current request. */
import type { Socket } from 'node:net';
import type { ClientConnection } from './client-connection.ts';
import type { RequestHead } from './head-parser.ts';
import type { Sweeper } from './sweeper.ts';

/** What the connection needs from the exchange that owns the current request. */
export interface ClientExchange {
  /** The client closed the connection before the response ended. */
  clientGone(): void;
  /** The client socket can take more response bytes after a false `write`. */
  onWritable(): void;
}

/** What a client may send, and how long it may take: the listener's share of the proxy options. */
export interface ClientLimits {
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** A client that takes no response bytes for this long while some wait for it is disconnected. */
  readonly sendTimeoutMs: number;
  /**
   * Bytes per second a request body must average (0 = no minimum): it is cut (408) once it has taken longer than
   * headersTimeoutMs plus one second per `minBodyRate` bytes received. Time the proxy itself holds it back does not count.
   */
  readonly minBodyRate: number;
}

export interface ClientConnectionOwner {
  readonly limits: ClientLimits;
  readonly sweeper: Sweeper;
  /** Client-sent X-Forwarded-* are kept (the listener is behind a trusted proxy). */
  readonly trustForwarded: boolean;
  /** A complete request head: the owner starts an exchange and calls `respond`/`end` on this connection. */
  request(conn: ClientConnection, head: RequestHead): void;
  /** An Upgrade request: the socket is handed over, with the bytes read past the head. */
  upgrade(conn: ClientConnection, head: RequestHead, socket: Socket, rest: Buffer): void;
  closed(conn: ClientConnection): void;
}
