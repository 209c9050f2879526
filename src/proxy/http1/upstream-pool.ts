import { UpstreamConnection, type ConnectionOwner, type ResponseHandler, type UpstreamRequest } from './upstream-connection.ts';
import type { Sweeper } from './sweeper.ts';

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
export class UpstreamPool implements ConnectionOwner {
  readonly connectTimeoutMs: number;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly waiting: Array<[UpstreamRequest, ResponseHandler]> = [];
  private closing: (() => void) | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: PoolOptions,
  ) {
    this.connectTimeoutMs = opts.connectTimeoutMs;
  }

  get size(): number {
    return this.all.size;
  }

  dispatch(req: UpstreamRequest, handler: ResponseHandler): void {
    const c = this.idle.pop() ?? (this.all.size < this.opts.connections ? this.open() : undefined);
    if (c === undefined) this.waiting.push([req, handler]);
    else c.start(req, handler);
  }

  /** Drops a request still waiting for a connection (its client left, or it was cut). */
  cancel(handler: ResponseHandler): boolean {
    const i = this.waiting.findIndex((w) => w[1] === handler);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  released(c: UpstreamConnection, reusable: boolean): void {
    if (!reusable) return; // lost() has already handed its place to a waiting request
    const next = this.waiting.shift();
    if (next !== undefined) c.start(next[0], next[1]);
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
      const [req, handler] = this.waiting.shift()!;
      this.open().start(req, handler);
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

  destroy(): void {
    for (const c of [...this.all]) c.destroy();
  }

  private open(): UpstreamConnection {
    const c = new UpstreamConnection(this.host, this.port, this);
    this.all.add(c);
    this.opts.sweeper.add(c);
    return c;
  }
}
