import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { ListenerSpec } from './types.ts';
import type { ProxyOptions } from './options.ts';
import type { Logger } from '../shared/log.ts';
import { listenerKey } from './route-table.ts';
import { ProxyResponse } from './exchange.ts';

export type ListenerState = 'starting' | 'listening' | 'closing' | 'closed';

export interface ListenerHandlers {
  request(req: IncomingMessage, res: ServerResponse, key: string, proto: string): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, key: string): void;
}

/** One bound port (HTTP or HTTPS) with the slowloris guards and 400-on-garbage behaviour. */
export class Listener {
  readonly key: string;
  state: ListenerState = 'starting';
  readonly server: Server;
  private readonly tlsFiles: string[] = [];

  constructor(
    readonly spec: ListenerSpec,
    opts: ProxyOptions,
    handlers: ListenerHandlers,
    private readonly log: Logger,
  ) {
    this.key = listenerKey(spec);
    const key = this.key;
    const proto = spec.tls ? 'https' : 'http';
    const serverOpts = {
      maxHeaderSize: opts.maxHeaderBytes,
      headersTimeout: opts.headersTimeoutMs,
      requestTimeout: Math.max(opts.requestTimeoutMs, opts.headersTimeoutMs),
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(opts.headersTimeoutMs / 4))),
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      ServerResponse: ProxyResponse,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => handlers.request(req, res, key, proto);
    this.server = (spec.tls
      ? createHttps({ ...serverOpts, ...readTls(spec.tls) }, onRequest)
      : createHttp(serverOpts, onRequest)) as unknown as Server;
    this.server.keepAliveTimeout = opts.keepAliveTimeoutMs;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handlers.upgrade(req, socket, head, key));
    this.server.on('clientError', onClientError);
    if (spec.tls) this.watchTls(spec.tls, opts.tlsWatchMs);
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
    for (const f of this.tlsFiles) unwatchFile(f);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), timeoutMs);
      timer.unref();
      // Keep-alive connections become idle as their last response ends; close each one then, not at the client's whim.
      const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
      sweep.unref();
      this.server.close(() => {
        clearTimeout(timer);
        clearInterval(sweep);
        this.state = 'closed';
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  /** Polls the files (fs.watch misses atomic renames) and swaps the secure context when they change. */
  private watchTls(tls: NonNullable<ListenerSpec['tls']>, intervalMs: number): void {
    const reload = (): void => {
      try {
        (this.server as unknown as { setSecureContext(o: object): void }).setSecureContext(readTls(tls));
        this.log.info({ listener: this.key }, 'TLS certificate reloaded');
      } catch (err) {
        this.log.warn({ listener: this.key, err: (err as Error).message }, 'TLS reload failed; keeping the previous certificate');
      }
    };
    for (const f of [tls.certFile, tls.keyFile]) {
      this.tlsFiles.push(f);
      watchFile(f, { interval: intervalMs, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) reload();
      });
    }
  }
}

function readTls(tls: NonNullable<ListenerSpec['tls']>): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
}

/** Malformed requests, oversized heads and slow clients get an answer and a closed socket, never a crash. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
    : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}
