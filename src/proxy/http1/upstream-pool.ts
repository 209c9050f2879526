import { UpstreamConnection, type ConnectionOwner, type ResponseHandler, type UpstreamRequest } from './upstream-connection.ts';
import { UpstreamError } from './upstream-error.ts';
import type { Sweepable, Sweeper } from './sweeper.ts';

/** A request waiting for a free connection, with the time it may wait (its response timeout). */
interface Waiting {
  req: UpstreamRequest;
  handler: ResponseHandler;
  deadline: number;
}

export interface PoolOptions {
  /** Most connections open at once; more requests wait for one to free. */
  connections: number;
  connectTimeoutMs: number;
  sweeper: Sweeper;
}

/**
 * Kept-alive connections to one instance. The most recently used idle
 * connection goes first (warm, and the others may time out and close).
 */
export class UpstreamPool implements ConnectionOwner, Sweepable {
  readonly connectTimeoutMs: number;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly waiting: Waiting[] = [];
  private closing: (() => void) | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: PoolOptions,
  ) {
    this.connectTimeoutMs = opts.connectTimeoutMs;
  }

  /**
   * Sends on an idle connection, a new one, or waits for one to free up.
   * `urgent` (health probes) opens a connection past the limit rather than
   * wait behind long responses: a busy instance is not an unhealthy one.
   */
  dispatch(req: UpstreamRequest, handler: ResponseHandler, urgent = false): void {
    const c = this.idle.pop() ?? (urgent || this.all.size < this.opts.connections ? this.open() : undefined);
    if (c !== undefined) return c.start(req, handler);
    if (this.waiting.length === 0) this.opts.sweeper.add(this);
    this.waiting.push({ req, handler, deadline: performance.now() + req.headersTimeoutMs });
  }

  /** Drops a request not sent yet: waiting for a connection, or for its new connection to connect. */
  cancel(handler: ResponseHandler): boolean {
    const i = this.waiting.findIndex((w) => w.handler === handler);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      return true;
    }
    for (const c of this.all) if (c.cancelPending(handler)) return true;
    return false;
  }

  /** Requests that waited their whole response timeout for a connection get the same answer as a silent instance. */
  sweep(now: number): void {
    while (this.waiting.length > 0 && this.waiting[0]!.deadline < now) {
      const w = this.waiting.shift()!;
      w.handler.onError(new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `no connection to the instance became free within ${w.req.headersTimeoutMs} ms`));
    }
    if (this.waiting.length === 0) this.opts.sweeper.delete(this);
  }

  released(c: UpstreamConnection, reusable: boolean): void {
    if (!reusable) return; // lost() has already handed its place to a waiting request
    const next = this.waiting.shift();
    if (next !== undefined) c.start(next.req, next.handler);
    else if (this.closing !== null) c.destroy();
    else this.idle.push(c);
  }

  lost(c: UpstreamConnection): void {
    this.all.delete(c);
    this.opts.sweeper.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closing !== null && this.all.size === 0) this.closing();
    else if (this.waiting.length > 0 && this.all.size < this.opts.connections) {
      const w = this.waiting.shift()!;
      this.open().start(w.req, w.handler);
    }
  }

  /** Closes idle connections now and busy ones as their responses end. */
  close(): Promise<void> {
    if (this.all.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.closing = resolve;
      for (const c of [...this.idle]) c.destroy();
    });
  }

  /** Everything closes now; requests still waiting or in flight get an error. */
  destroy(): void {
    this.opts.sweeper.delete(this);
    for (const w of this.waiting.splice(0)) w.handler.onError(new UpstreamError('UPSTREAM_ABORTED', 'the proxy is closing'));
    for (const c of [...this.all]) c.abort(new UpstreamError('UPSTREAM_ABORTED', 'the proxy is closing'));
  }

  private open(): UpstreamConnection {
    const c = new UpstreamConnection(this.host, this.port, this);
    this.all.add(c);
    this.opts.sweeper.add(c);
    return c;
  }
}
