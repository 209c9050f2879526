import { createServer as createTcp, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTls, type TLSSocket } from 'node:tls';
import type { CertificateInfo, ListenerSpec } from './contract.ts';
import { ListenerCertificates } from './certificates.ts';
import { httpsLocation } from './redirect.ts';
import { plainAnswer } from './http1/plain-answer.ts';
import type { ProxyOptions } from './options.ts';
import type { Logger } from '../shared/log.ts';
import { listenerKey } from './route-table.ts';
import { ClientConnection, type ClientConnectionOwner, type ClientLimits } from './http1/client-connection.ts';
import type { RequestHead } from './http1/head-parser.ts';
import type { Sweeper } from './http1/sweeper.ts';
import type { ClientTable } from './http1/client-limits.ts';

export type ListenerState = 'starting' | 'listening' | 'closing' | 'closed';

export interface ListenerHandlers {
  readonly sweeper: Sweeper;
  request(conn: ClientConnection, head: RequestHead, key: string): void;
  upgrade(conn: ClientConnection, head: RequestHead, socket: Socket, rest: Buffer, key: string): void;
}

/**
 * One bound port (HTTP or HTTPS). Each accepted socket becomes a
 * ClientConnection, which carries the slowloris guards and the 400/431
 * answers to malformed heads. An HTTPS listener picks its certificate per
 * connection (SNI) from its ListenerCertificates; a plain listener with
 * `redirectToHttps` answers every request with a 308 itself.
 */
export class Listener implements ClientConnectionOwner {
  readonly key: string;
  state: ListenerState = 'starting';
  readonly server: Server;
  readonly limits: ClientLimits;
  readonly sweeper: Sweeper;
  private readonly connections = new Set<ClientConnection>();
  /** Sockets handed over after an Upgrade (WebSockets): still this server's, so shutdown must end them too. */
  private readonly upgraded = new Set<Socket>();
  /** TLS: accepted TCP sockets (whose handshake may not be done), so shutdown can end them too. */
  private readonly handshaking = new Set<Socket>();
  /** HTTPS only: the certificates, chosen per connection by server name, reloaded when their files change. */
  readonly certificates: ListenerCertificates | null = null;
  private onIdle: (() => void) | null = null;

  /** Throws TlsCertificateError when a certificate of `spec.tls` cannot be used. */
  constructor(
    /** Replaced in place when a new table changes only what needs no new socket (trustForwarded, redirect, certificates). */
    public spec: ListenerSpec,
    opts: ProxyOptions,
    private readonly handlers: ListenerHandlers,
    private readonly log: Logger,
    /** Connections and requests per client address, shared by every listener of the proxy. */
    private readonly clients: ClientTable,
  ) {
    this.key = listenerKey(spec);
    this.limits = {
      maxHeaderBytes: opts.maxHeaderBytes,
      maxBodyBytes: opts.maxBodyBytes,
      headersTimeoutMs: opts.headersTimeoutMs,
      requestTimeoutMs: Math.max(opts.requestTimeoutMs, opts.headersTimeoutMs),
      keepAliveTimeoutMs: opts.keepAliveTimeoutMs,
      sendTimeoutMs: opts.sendTimeoutMs,
      minBodyRate: opts.minBodyRate,
    };
    this.sweeper = handlers.sweeper;
    if (spec.tls) {
      const certs = new ListenerCertificates(this.key, log, opts.tlsWatchMs);
      const prepared = certs.prepare(spec.tls);
      const server = createTls(
        {
          ...certs.defaultPem(prepared),
          SNICallback: (name, cb) => cb(null, certs.contextFor(name)),
          ALPNProtocols: ['http/1.1'],
          handshakeTimeout: opts.headersTimeoutMs,
          allowHalfOpen: true,
        },
        (s: TLSSocket) => this.accept(s, 'https'),
      );
      certs.use(prepared);
      certs.attach(server);
      this.certificates = certs;
      this.server = server;
      this.server.on('tlsClientError', (_err: Error, s: TLSSocket) => s.destroy());
      // Sockets still in their handshake are no connection yet, but keep the server open: tracked for close's timeout.
      this.server.on('connection', (raw: Socket) => {
        this.handshaking.add(raw);
        raw.once('close', () => this.handshaking.delete(raw));
      });
    } else {
      // Half-open: a client may send its request and FIN, and still wants the answer.
      this.server = createTcp({ allowHalfOpen: true }, (s) => this.accept(s, 'http'));
    }
  }

  // ---- ClientConnectionOwner ----

  get trustForwarded(): boolean {
    return this.spec.trustForwarded === true;
  }

  request(conn: ClientConnection, head: RequestHead): void {
    const redirect = this.spec.redirectToHttps;
    if (redirect) {
      const location = httpsLocation(head, redirect.port);
      if (location === null) return conn.respond(400, 'a redirect to HTTPS needs a valid Host header and an origin-form target ("/path")');
      return conn.respond(308, `moved to ${location}`, `location: ${location}\r\n`);
    }
    this.handlers.request(conn, head, this.key);
  }

  upgrade(conn: ClientConnection, head: RequestHead, socket: Socket, rest: Buffer): void {
    const redirect = this.spec.redirectToHttps;
    if (redirect) {
      const location = httpsLocation(head, redirect.port);
      const answer = location === null ? plainAnswer(400, 'a redirect to HTTPS needs a valid Host header', 'connection: close\r\n') : plainAnswer(308, `moved to ${location}`, `location: ${location}\r\nconnection: close\r\n`);
      return void socket.end(answer, 'latin1');
    }
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    this.handlers.upgrade(conn, head, socket, rest, this.key);
  }

  closed(conn: ClientConnection): void {
    this.connections.delete(conn);
    if (this.connections.size === 0) this.onIdle?.();
  }

  private accept(socket: Socket, proto: 'http' | 'https'): void {
    // Behind a trusted proxy every peer is that proxy: limits per address would throttle all its clients as one.
    const client = this.clients.open(socket.remoteAddress ?? '', this.trustForwarded);
    if (client === null) return refuse(socket);
    socket.once('close', () => this.clients.close(client));
    const conn = new ClientConnection(socket, proto, this, client);
    this.connections.add(conn);
    if (this.state === 'closing') conn.shutdown();
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.spec.port, this.spec.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        // Accept errors (EMFILE and the like) must not take the whole proxy down.
        this.server.on('error', (err) => this.log.error({ listener: this.key, err: err.message }, 'listener error'));
        this.state = 'listening';
        resolve();
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting, lets in-flight requests finish, then cuts what is left at the timeout. */
  close(timeoutMs: number): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return Promise.resolve();
    this.state = 'closing';
    this.certificates?.close();
    return new Promise((resolve) => {
      let serverClosed = false;
      const done = (): void => {
        if (!serverClosed || this.connections.size > 0) return;
        clearTimeout(timer);
        this.onIdle = null;
        this.state = 'closed';
        resolve();
      };
      const timer = setTimeout(() => {
        for (const c of [...this.connections]) c.destroy();
        for (const s of [...this.upgraded, ...this.handshaking]) s.destroy();
      }, timeoutMs);
      timer.unref();
      this.onIdle = done;
      this.server.close(() => {
        serverClosed = true;
        done();
      });
      // Idle keep-alive connections close now; busy ones right after their response (with Connection: close if not yet sent).
      for (const c of [...this.connections]) c.shutdown();
    });
  }

  /** The certificates served now (HTTPS listeners), for status views. */
  certificateInfo(): CertificateInfo[] {
    return this.certificates?.info(this.spec) ?? [];
  }
}

/** A client address over its connection limit: told so, and closed before anything is read. */
function refuse(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  socket.end(plainAnswer(429, 'too many connections from this address', 'connection: close\r\n'), 'latin1');
  socket.once('finish', () => socket.destroy());
  socket.setTimeout(1_000, () => socket.destroy());
}
