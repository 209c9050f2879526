import type { ProxyOptions } from './options.ts';
import type { CompiledRevision, CompiledService, CompiledTable } from './route-table.ts';
import type { Cuttable, Upstream } from './upstream.ts';
import { upstreamHead, type ForwardedHead } from './headers.ts';
import { chooseRevision, chooseUpstream, weightedRevision } from './load-balancer.ts';
import { bucketOf, ERROR_CLASS, SERVER_ERROR_CLASS, statusClass, type StatusClassIndex } from './traffic-window.ts';
import type { BodyCollector, BodySink, ClientConnection, ClientExchange } from './http1/client-connection.ts';
import type { RequestHead } from './http1/head-parser.ts';
import type { ResponseHead } from './http1/response-head.ts';
import type { Framing, RequestControl, ResponseHandler, UpstreamRequest } from './http1/upstream-connection.ts';
import type { UpstreamError } from './http1/upstream-error.ts';
import { ChunkedScanner } from './http1/chunked.ts';
import { mayRetry } from './retry-policy.ts';
import type { MirrorTap } from './shadow/mirror-tap.ts';
import { setCookieLine, userKey } from './experiment/experiment-routing.ts';

/** An instance that sets its own Strict-Transport-Security keeps it: the service's `hsts` is not added beside it. */
const HAS_HSTS = /\nstrict-transport-security:/i;

/** What an exchange needs from the proxy around it. */
export interface ExchangeHost {
  readonly opts: ProxyOptions;
  table(): CompiledTable;
  /** Passive ejection after a connect failure or repeated 5xx. */
  eject(u: Upstream, rev: CompiledRevision, reason: 'connect' | '5xx'): void;
  /** Holds the exchange until an instance is ready; false when the queue is full. */
  enqueue(ex: Exchange): boolean;
  dequeue(ex: Exchange): void;
  /** Sends a copy to the service's mirror if it takes this request; with comparison, the tap to feed the answer to. */
  mirror(svc: CompiledService, ex: Exchange): MirrorTap | null;
  /** An experiment's request ended: counted for its user's variant. */
  experimentDone(svc: CompiledService, rev: CompiledRevision, user: string, method: string, target: string, status: number, failed: boolean): void;
}

/**
 * One client request on its way through the proxy. The object is its own
 * upstream response handler, body sink, body collector and client-side hook,
 * so a proxied request costs one allocation here.
 */
export class Exchange implements Cuttable, ResponseHandler, BodySink, BodyCollector, ClientExchange {
  readonly started = performance.now();
  inFlightIndex = -1;
  svc: CompiledService;
  /** The request body read before an instance was picked: all of it (`replayable`), or its first bytes (`streamed`), or null. */
  private body: Buffer | null = null;
  /** The request as it goes upstream: built at the first dispatch, reused by retries and the mirror. */
  private out: UpstreamRequest | null = null;
  queueTimer: NodeJS.Timeout | undefined;
  private rev: CompiledRevision | undefined;
  private pinned: CompiledRevision | undefined;
  private upstream: Upstream | undefined;
  private tried: Upstream[] | null = null;
  /** The body goes on after `body` as it arrives from the client. */
  private streamed = false;
  /** The whole request is here (no body, or all of it in `body`): it can be sent again as it is. */
  private replayable = false;
  /** Counted in the client address's requests in progress (released by finish). */
  private admitted = false;
  private responded = false;
  private done = false;
  private wasCut = false;
  private status = 0;
  private ctl: RequestControl | null = null;
  /** Set when the client reads HTTP/1.0 and the instance answers chunked: the framing is removed on the way. */
  private dechunk: ChunkedScanner | null = null;
  /** The client socket refused more while de-chunking (its buffer is full). */
  private clientFull = false;
  /** Shadow comparison of this request, fed with the answer the user gets. */
  private tap: MirrorTap | null = null;
  private mirrorDecided = false;
  /** An experiment's user key, and whether the answer must set it (a new user in cookie mode). */
  private user: string | undefined;
  private newUser = false;

  constructor(
    private readonly host: ExchangeHost,
    readonly conn: ClientConnection,
    readonly req: RequestHead,
    svc: CompiledService,
    readonly fwd: ForwardedHead,
  ) {
    this.svc = svc;
    conn.exchange = this;
  }

  /**
   * Reads the body first when there is one: whole if it fits in
   * retryBufferBytes, else that many of its first bytes. Only then is an
   * instance picked, so a client slow to send its body holds no connection to
   * an instance.
   */
  start(): void {
    const { contentLength, chunked } = this.req;
    const o = this.host.opts;
    if (contentLength > o.maxBodyBytes) return this.reply(413, `request body larger than ${o.maxBodyBytes} bytes`);
    if (!chunked && contentLength <= 0) {
      this.replayable = true;
      return this.route();
    }
    if (o.retryBufferBytes > 0) return this.conn.collectBody(o.retryBufferBytes, this);
    this.streamed = true;
    this.route();
  }

  /** BodyCollector: the body is here, whole or its first bytes (the rest is streamed once connected). */
  bodyCollected(body: Buffer, complete: boolean): void {
    if (this.done) return;
    this.body = body;
    if (complete) this.replayable = true;
    else this.streamed = true;
    this.route();
  }

  /** Picks revision and instance (rules, then stickiness or weights); queues when none is ready. */
  route(): void {
    if (this.done) return;
    const svc = this.svc;
    if (!this.admitted) {
      // One client address may have only so many requests on instances (or waiting for one) at once.
      const c = this.conn.client;
      const max = this.host.opts.maxRequestsPerClient;
      if (max > 0 && c.requests >= max && !c.unlimited) return this.reply(429, `more than ${max} requests in progress from this address`);
      c.requests++;
      this.admitted = true;
    }
    if (this.tried === null) {
      if (svc.experiment !== null && this.user === undefined) {
        const u = userKey(svc.experiment, this.req.headers);
        this.user = u?.key;
        this.newUser = u?.generated === true;
      }
      ({ pinned: this.pinned, rev: this.rev } = chooseRevision(svc, this.req.headers, this.user));
      // An experiment's user stays in their variant: no fallback to the other one (it would be served, and counted,
      // as the other variant); without an instance the request waits in the queue like a pinned one.
      if (svc.experiment !== null && this.user !== undefined) this.pinned ??= this.rev;
    }
    let u = this.pick(svc, this.tried);
    // A reset on a keep-alive connection may hit the only instance: it is still available, so try it again.
    if (u === undefined && this.tried !== null) u = this.pick(svc, null);
    if (u === undefined) {
      if (!this.host.enqueue(this)) this.reply(503, `no ready instance for service "${svc.name}" and the wait queue is full`);
      return;
    }
    this.dispatch(this.rev!, u);
    // The copy goes out after the user's request, once: never on a retry, and only if its body can be replayed.
    if (!this.mirrorDecided && !this.done) {
      this.mirrorDecided = true;
      if (svc.spec.mirror !== undefined && this.replayable) this.tap = this.host.mirror(svc, this);
    }
  }

  private pick(svc: CompiledService, tried: Upstream[] | null): Upstream | undefined {
    const chosen = chooseUpstream(svc, this.rev, this.pinned !== undefined, tried);
    if (chosen) this.rev = chosen.rev;
    return chosen?.u;
  }

  /** Re-reads the service from the current table (it may have been swapped while queued) and routes. */
  retryFromQueue(table: CompiledTable): boolean {
    const svc = table.services.get(this.svc.name);
    if (!svc) return false;
    if (svc !== this.svc) {
      this.svc = svc;
      if (this.pinned) this.pinned = svc.byName.get(this.pinned.name);
      this.rev = this.pinned ?? (this.rev ? svc.byName.get(this.rev.name) ?? weightedRevision(svc, this.req.headers, this.user) : weightedRevision(svc, this.req.headers, this.user));
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
    if (this.ctl) this.ctl.abort(new Error('cut by drain timeout'));
    else {
      this.upstream?.pool.cancel(this); // waiting for a connection, or for one to connect: never sent
      this.reply(502, 'request cut: its instance was drained');
    }
  }

  /** The client left first. Counted by what it had received (a closed SSE stream is a success), else as 4xx like nginx's 499, not as a proxy error. */
  clientGone(): void {
    if (this.done) return;
    this.host.dequeue(this);
    const ctl = this.ctl;
    const u = this.upstream;
    // Finished first, so the abort's error below is not counted (or answered) as an upstream failure.
    this.finish(this.responded ? statusClass(this.status) : statusClass(499));
    if (ctl) ctl.abort(new Error('client closed the connection'));
    else u?.pool.cancel(this);
  }

  onWritable(): void {
    this.ctl?.resume();
  }

  // ---- request body (BodySink) ----

  write(chunk: Buffer): boolean {
    return this.ctl === null || this.ctl.writeBody(chunk);
  }

  end(): void {
    this.ctl?.endBody();
  }

  onBodyDrain(): void {
    this.conn.resumeBody();
  }

  // ---- upstream response (ResponseHandler) ----

  onConnect(ctl: RequestControl): void {
    this.ctl = ctl;
    if (this.done || this.wasCut) return ctl.abort(new Error('request cut'));
    if (this.streamed) this.conn.streamBody(this);
  }

  onHeaders(head: ResponseHead, framing: Framing): void {
    if (this.done) return;
    const conn = this.conn;
    if (framing === 'chunked' && conn.http10) {
      // Without Transfer-Encoding (1.0 has none) only the chunked framing can be undone; other codings would stay on the bytes unsaid.
      if (head.transferEncoding.trim().toLowerCase() !== 'chunked') return this.refuse(502, `the instance answered in a transfer coding ("${head.transferEncoding}") an HTTP/1.0 client cannot be sent`);
      this.dechunk = new ChunkedScanner((c) => {
        if (!conn.out.write(c)) this.clientFull = true;
      });
    }
    let out = head.relayed;
    if (framing === 'chunked' && this.dechunk === null) out += `transfer-encoding: ${head.transferEncoding}\r\n`;
    if (this.svc.revisionHeader) out += `x-cutover-revision: ${this.rev!.version}\r\n`;
    if (this.newUser) out += setCookieLine(this.svc.experiment!, this.user!, conn.proto === 'https');
    this.tap?.primaryHead(head, framing);
    if (this.svc.hsts !== '' && conn.proto === 'https' && !HAS_HSTS.test(out)) out += this.svc.hsts;
    out += `${conn.connectionHeader(framing === 'close' || this.dechunk !== null)}\r\n`;
    this.responded = true;
    this.status = head.status;
    conn.out.head(out);
    this.passiveHealth(head.status);
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    this.tap?.primaryData(chunk);
    if (this.dechunk !== null) {
      this.clientFull = false;
      this.dechunk.push(chunk);
      return !this.clientFull;
    }
    return this.conn.out.write(chunk);
  }

  onFlush(): void {
    this.conn.out.flush();
  }

  retainsData(): boolean {
    return this.conn.socket.writableLength > 0;
  }

  onComplete(): void {
    this.ctl = null;
    if (this.done) return;
    const tap = this.tap;
    this.tap = null;
    tap?.primaryDone();
    this.finish(statusClass(this.status));
    this.conn.end();
  }

  onError(err: UpstreamError): void {
    this.ctl = null;
    if (this.done) return;
    const u = this.upstream!;
    if (this.responded) {
      // Bytes already reached the client: a retry could duplicate them, so the client connection is cut.
      this.conn.out.flush();
      this.conn.destroy();
      return this.finish(ERROR_CLASS);
    }
    if (this.wasCut) return this.reply(502, 'request cut: its instance was drained');
    if (err.connectFailure) this.host.eject(u, this.rev!, 'connect');
    const attempt = { method: this.req.method, replayable: this.replayable, bodyTouched: this.conn.bodyTouched, nonIdempotent: this.svc.spec.retry?.nonIdempotent === true };
    if (mayRetry(err, attempt) && (this.tried?.length ?? 0) + 1 < this.host.opts.maxAttempts) {
      this.leave(u, ERROR_CLASS);
      (this.tried ??= []).push(u);
      return this.route();
    }
    if (err.responseTimeout) return this.reply(504, `upstream instance "${u.id}" sent no response headers within ${this.host.opts.responseTimeoutMs} ms`);
    this.reply(502, `upstream instance "${u.id}" failed: ${err.code}`);
  }

  /** The request as it goes to an instance (its body, if any, already buffered or to be streamed). */
  outgoing(): UpstreamRequest {
    if (this.out === null) {
      const o = this.host.opts;
      this.out = {
        head: upstreamHead(this.req.method, this.req.target, this.fwd.headers, this.req.transferEncoding),
        body: this.body,
        streaming: this.streamed,
        headRequest: this.req.method === 'HEAD',
        headersTimeoutMs: o.responseTimeoutMs,
        bodyTimeoutMs: o.bodyIdleTimeoutMs,
      };
    }
    return this.out;
  }

  // ---- internals ----

  private dispatch(rev: CompiledRevision, u: Upstream): void {
    this.rev = rev;
    this.upstream = u;
    u.window.inflight++;
    rev.window.inflight++;
    u.active.add(this);
    u.pool.dispatch(this.outgoing(), this);
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

  /** Answers in place of a response the instance started: the exchange ends first, so the abort is not an upstream failure. */
  private refuse(status: number, message: string): void {
    const ctl = this.ctl;
    this.reply(status, message);
    ctl?.abort(new Error(message));
  }

  /** Sends a short plain-text answer from the proxy itself and ends the exchange. */
  reply(status: number, message: string): void {
    if (this.done) return;
    this.finish(status >= 500 ? ERROR_CLASS : statusClass(status));
    this.conn.respond(status, message, `x-request-id: ${this.fwd.requestId}\r\n`, status === 413);
  }

  private finish(cls: StatusClassIndex): void {
    if (this.done) return;
    this.done = true;
    if (this.admitted) {
      this.admitted = false;
      this.conn.client.requestDone();
    }
    if (this.tap !== null) {
      this.tap.primaryFailed();
      this.tap = null;
    }
    if (this.user !== undefined && this.rev !== undefined) {
      this.host.experimentDone(this.svc, this.rev, this.user, this.req.method, this.req.target, this.status, cls === ERROR_CLASS || cls === SERVER_ERROR_CLASS);
    }
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

function hasAvailable(svc: CompiledService, pinned: CompiledRevision | undefined): boolean {
  const revs = pinned ? [pinned] : svc.weighted;
  return revs.some((r) => r.upstreams.some((u) => u.available));
}
