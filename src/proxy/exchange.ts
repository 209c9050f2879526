import { ServerResponse, type IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ProxyOptions } from './options.ts';
import type { CompiledRevision, CompiledService, CompiledTable } from './route-table.ts';
import type { Cuttable, Upstream } from './upstream.ts';
import { responseHeaders, type RequestHead } from './headers.ts';
import { fallbackUpstream, pickUpstream, ruleRevision, weightedRevision } from './load-balancer.ts';
import { bucketOf, ERROR_CLASS, statusClass, type StatusClassIndex } from './traffic-window.ts';
import { isConnectFailure, isRetryableBeforeResponse, isResponseTimeout } from './upstream-errors.ts';

/** What an exchange needs from the proxy around it. */
export interface ExchangeHost {
  readonly opts: ProxyOptions;
  table(): CompiledTable;
  /** Passive ejection after a connect failure or repeated 5xx. */
  eject(u: Upstream, rev: CompiledRevision, reason: 'connect' | '5xx'): void;
  /** Holds the exchange until an instance is ready; false when the queue is full. */
  enqueue(ex: Exchange): boolean;
  dequeue(ex: Exchange): void;
  mirror(svc: CompiledService, ex: Exchange): void;
}

/**
 * One client request on its way through the proxy. The object is its own
 * undici dispatch handler, so a proxied request costs one allocation here.
 */
export class Exchange implements Cuttable, Dispatcher.DispatchHandler {
  readonly head: RequestHead;
  readonly started = performance.now();
  svc: CompiledService;
  body: Buffer | Readable | null = null;
  queueTimer: NodeJS.Timeout | undefined;
  private rev: CompiledRevision | undefined;
  private pinned: CompiledRevision | undefined;
  private upstream: Upstream | undefined;
  private tried: Upstream[] | null = null;
  private retryable = false;
  private responded = false;
  private done = false;
  private wasCut = false;
  private tooLarge = false;
  private status = 0;
  private abortFn: ((err?: Error) => void) | null = null;
  private resumeFn: (() => void) | null = null;

  constructor(
    private readonly host: ExchangeHost,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    svc: CompiledService,
    head: RequestHead,
  ) {
    this.svc = svc;
    this.head = head;
    (res as ProxyResponse).exchange = this;
    res.on('close', onClientClose);
  }

  /** Decides how to carry the body (none, buffered for retries, or streamed), then routes. */
  start(): void {
    const { contentLength, chunked } = this.head;
    const o = this.host.opts;
    if (contentLength > o.maxBodyBytes) return this.reply(413, `request body larger than ${o.maxBodyBytes} bytes`);
    if (!chunked && contentLength <= 0) {
      this.retryable = true;
      return this.route();
    }
    if (!chunked && contentLength <= o.retryBufferBytes) return this.bufferBody();
    this.retryable = false;
    this.body = chunked ? this.limitStreamedBody() : this.req;
    this.route();
  }

  /** Picks revision and instance (rules, then stickiness or weights); queues when none is ready. */
  route(): void {
    if (this.done) return;
    const svc = this.svc;
    if (this.tried === null) {
      this.pinned = svc.rules.length > 0 ? ruleRevision(svc, this.req) : undefined;
      this.rev = this.pinned ?? weightedRevision(svc, this.req);
      if (svc.spec.mirror !== undefined && this.retryable) this.host.mirror(svc, this);
    }
    let u = this.pick(svc, this.tried);
    // A reset on a keep-alive connection may hit the only instance: it is still available, so try it again.
    if (u === undefined && this.tried !== null) u = this.pick(svc, null);
    if (u === undefined) {
      if (!this.host.enqueue(this)) this.reply(503, `no ready instance for service "${svc.name}" and the wait queue is full`);
      return;
    }
    this.dispatch(this.rev!, u);
  }

  private pick(svc: CompiledService, tried: Upstream[] | null): Upstream | undefined {
    const u = this.rev ? pickUpstream(this.rev, tried) : undefined;
    if (u !== undefined || this.pinned !== undefined) return u;
    const alt = fallbackUpstream(svc, this.rev, tried);
    if (alt) this.rev = alt.rev;
    return alt?.u;
  }

  /** Re-reads the service from the current table (it may have been swapped while queued) and routes. */
  retryFromQueue(table: CompiledTable): boolean {
    const svc = table.services.get(this.svc.name);
    if (!svc) return false;
    if (svc !== this.svc) {
      this.svc = svc;
      if (this.pinned) this.pinned = svc.byName.get(this.pinned.name);
      this.rev = this.pinned ?? (this.rev ? svc.byName.get(this.rev.name) ?? weightedRevision(svc, this.req) : weightedRevision(svc, this.req));
    }
    if (!hasAvailable(svc, this.pinned)) return false;
    this.route();
    return true;
  }

  queueTimedOut(): void {
    this.reply(503, `no ready instance for service "${this.svc.name}" within ${this.host.opts.queueTimeoutMs} ms`);
  }

  cut(): void {
    if (this.done) return;
    this.wasCut = true;
    if (this.abortFn) this.abortFn(new Error('cut by drain timeout'));
    else this.reply(502, 'request cut: its instance was drained');
  }

  /** The client left first. Counted by what it had received (a closed SSE stream is a success), else as 4xx like nginx's 499, not as a proxy error. */
  clientGone(): void {
    if (this.done) return;
    this.host.dequeue(this);
    if (this.abortFn) this.abortFn(new Error('client closed the connection'));
    this.finish(this.responded ? statusClass(this.status) : statusClass(499));
  }

  // ---- undici handler ----

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.done || this.wasCut) abort(new Error('request cut'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200 || this.done) return true;
    const res = this.res;
    const headers = responseHeaders(rawHeaders);
    if (this.svc.revisionHeader) headers.push('x-cutover-revision', this.rev!.name);
    this.responded = true;
    this.status = statusCode;
    this.resumeFn = resume;
    res.sendDate = false;
    res.writeHead(statusCode, headers);
    this.passiveHealth(statusCode);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeFn!);
    return false;
  }

  onComplete(): void {
    if (this.done) return;
    this.res.end();
    this.finish(statusClass(this.status));
  }

  onError(err: Error): void {
    if (this.done) return;
    const u = this.upstream!;
    if (this.responded) {
      // Bytes already reached the client: a retry could duplicate them, so the client connection is cut.
      this.res.destroy();
      return this.finish(ERROR_CLASS);
    }
    if (this.wasCut) return this.reply(502, 'request cut: its instance was drained');
    if (this.tooLarge) return this.reply(413, `request body larger than ${this.host.opts.maxBodyBytes} bytes`);
    const connectFailed = isConnectFailure(err);
    if (connectFailed) this.host.eject(u, this.rev!, 'connect');
    // A streamed body can be replayed only if nothing of it was read yet (connect failures happen before sending).
    const replayable = this.retryable || (connectFailed && this.body === this.req && !this.req.readableDidRead);
    if (replayable && isRetryableBeforeResponse(err) && this.attempts() < this.host.opts.maxAttempts) {
      this.leave(u, ERROR_CLASS);
      (this.tried ??= []).push(u);
      this.abortFn = null;
      return this.route();
    }
    if (isResponseTimeout(err)) return this.reply(504, `upstream instance "${u.id}" sent no response headers within ${this.host.opts.responseTimeoutMs} ms`);
    this.reply(502, `upstream instance "${u.id}" failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
  }

  // ---- internals ----

  private dispatch(rev: CompiledRevision, u: Upstream): void {
    this.rev = rev;
    this.upstream = u;
    u.window.inflight++;
    rev.window.inflight++;
    u.active.add(this);
    const o = this.host.opts;
    u.pool.dispatch(
      {
        path: this.req.url!,
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.head.headers,
        body: this.body,
        headersTimeout: o.responseTimeoutMs,
        bodyTimeout: o.bodyIdleTimeoutMs,
      },
      this,
    );
  }

  private bufferBody(): void {
    const chunks: Buffer[] = [];
    this.req.on('data', (c: Buffer) => chunks.push(c));
    this.req.once('end', () => {
      this.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.retryable = true;
      this.route();
    });
  }

  /** Chunked bodies have no declared length: count them on the way (slow path, allocates a Transform). */
  private limitStreamedBody(): Transform {
    let seen = 0;
    const max = this.host.opts.maxBodyBytes;
    const t = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        seen += chunk.length;
        if (seen <= max) return cb(null, chunk);
        this.tooLarge = true;
        cb(new Error('request body too large'));
      },
    });
    return this.req.pipe(t);
  }

  private passiveHealth(status: number): void {
    const u = this.upstream!;
    if (status < 500) {
      u.consecutive5xx = 0;
      return;
    }
    const limit = this.host.opts.eject5xx;
    if (limit > 0 && ++u.consecutive5xx >= limit) this.host.eject(u, this.rev!, '5xx');
  }

  private attempts(): number {
    return (this.tried?.length ?? 0) + 1;
  }

  /** Sends a short plain-text answer from the proxy itself and ends the exchange. */
  reply(status: number, message: string): void {
    if (this.done) return;
    const res = this.res;
    if (res.headersSent) res.destroy();
    else {
      const body = `${message}\n`;
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'x-request-id': this.head.requestId,
        ...(status === 413 ? { connection: 'close' } : {}),
      });
      res.end(body);
    }
    this.finish(status >= 500 ? ERROR_CLASS : statusClass(status));
  }

  private finish(cls: StatusClassIndex): void {
    if (this.done) return;
    this.done = true;
    if (this.queueTimer) this.host.dequeue(this);
    if (this.upstream) this.leave(this.upstream, cls);
    else if (this.rev) this.rev.window.record(cls, performance.now() - this.started, Date.now());
  }

  private leave(u: Upstream, cls: StatusClassIndex): void {
    const ms = performance.now() - this.started;
    const now = Date.now();
    const bucket = bucketOf(ms);
    u.window.inflight--;
    u.window.record(cls, ms, now, bucket);
    const rev = this.rev!;
    rev.window.inflight--;
    rev.window.record(cls, ms, now, bucket);
    u.active.delete(this);
    this.upstream = undefined;
    u.released();
  }
}


/**
 * The listeners' response class: the exchange link is a declared field, so
 * every response has the same shape (no per-request property added later)
 * and the close listener below needs no closure.
 */
export class ProxyResponse extends ServerResponse {
  exchange: Exchange | undefined = undefined;
}

/** Shared listener: the client went away before the exchange ended. */
function onClientClose(this: ProxyResponse): void {
  const ex = this.exchange;
  if (ex) ex.clientGone();
}

function hasAvailable(svc: CompiledService, pinned: CompiledRevision | undefined): boolean {
  const revs = pinned ? [pinned] : svc.weighted;
  return revs.some((r) => r.upstreams.some((u) => u.available));
}
