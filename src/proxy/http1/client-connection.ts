import type { Socket } from 'node:net';
import { plainAnswer } from './plain-answer.ts';
import { findHeadEnd, hasToken, HeadError, parseRequestHead, type RequestHead } from './head-parser.ts';
import { RequestBody, type BodyCollector, type BodySink } from './request-body.ts';
import { ResponseWriter } from './response-writer.ts';
import type { Sweepable, Sweeper } from './sweeper.ts';
import { ClientCounter } from './client-limits.ts';
import { overdue } from './client-deadlines.ts';
import type { ClientConnectionOwner, ClientExchange } from './connection-owner.ts';

export type { BodyCollector, BodySink };
export type { ClientConnectionOwner, ClientExchange, ClientLimits } from './connection-owner.ts';

/** `flushing`: a response ended but the client has not taken it yet; the next pipelined request waits for 'drain'. */
export type ConnectionState = 'idle' | 'head' | 'active' | 'flushing' | 'upgraded' | 'closed';

/** Bytes of pipelined requests held while one is in progress, before reading pauses. */
const MAX_PIPELINED = 64 * 1024;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/**
 * One client connection speaking HTTP/1.1: reads request heads, hands each
 * request to the proxy one at a time (pipelined ones wait in the buffer, and
 * once answers fill the socket past its high-water mark the next waits until
 * the client has read them, so what a connection holds stays bounded both
 * ways), carries the request body as raw bytes and writes the response as it
 * comes. Timeouts are deadlines checked by the sweeper: slow heads get 408,
 * slow bodies 408, idle keep-alive connections are closed, a client that
 * stops reading its answer is disconnected.
 */
export class ClientConnection implements Sweepable {
  state: ConnectionState = 'idle';
  exchange: ClientExchange | null = null;
  /** The current request's body. */
  private body = RequestBody.NONE;
  private buf: Buffer | null = null;
  /** Bytes of `buf` already searched for the end of a head: a head arriving in pieces is not searched from 0 each time. */
  private scanned = 0;
  private since = performance.now();
  /** When reading the body was paused by the proxy (routing, connecting, an instance that cannot take more), else -1. */
  private heldSince = -1;
  private keepAlive = true;
  private closeAfter = false;
  /** The response to the current request: the exchange writes it here (head, body, flush). */
  readonly out: ResponseWriter;
  private minor = 1;
  /** The client waits for "100 Continue" before it sends the body: sent once the body is wanted. */
  private expectContinue = false;
  private readonly onDataFn = (chunk: Buffer): void => this.onData(chunk);
  private readonly onDrainFn = (): void => this.onDrain();
  private readonly onCloseFn = (): void => this.onClose();
  private readonly onEndFn = (): void => this.onEnd();
  private inParse = false;
  private parseAgain = false;

  constructor(
    readonly socket: Socket,
    readonly proto: 'http' | 'https',
    private readonly owner: ClientConnectionOwner,
    /** This client address's connections and requests (per-client limits). */
    readonly client: ClientCounter = new ClientCounter(socket.remoteAddress ?? '', null),
  ) {
    this.out = new ResponseWriter(socket);
    socket.setNoDelay(true);
    socket.on('data', this.onDataFn);
    socket.on('drain', this.onDrainFn);
    socket.on('close', this.onCloseFn);
    socket.on('end', this.onEndFn);
    socket.on('error', onSocketError);
    owner.sweeper.add(this);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get trustForwarded(): boolean {
    return this.owner.trustForwarded;
  }

  // ---- request body, for the exchange ----

  /** The current request's body has been read to its end (or it has none). */
  get bodyDone(): boolean {
    return this.body.done;
  }

  /** Some of the body was handed on: the request can no longer be replayed elsewhere. */
  get bodyTouched(): boolean {
    return this.body.touched;
  }

  /**
   * Reads the body until it ends or `limit` bytes are kept, then hands them
   * over (`complete` false: the rest follows once streamBody is called). So an
   * instance's connection is taken only for a body that is whole or already
   * flowing, never for one a client is slow to start.
   */
  collectBody(limit: number, collector: BodyCollector): void {
    this.body.collect(limit, collector);
    this.startBody();
  }

  /** Forwards the (rest of the) body as it arrives, in its wire framing (chunked stays chunked, without extensions or trailers). */
  streamBody(sink: BodySink): void {
    this.body.stream(sink);
    this.startBody();
  }

  /** The sink can take more after a false write. */
  resumeBody(): void {
    if (this.state !== 'active' || this.body.done) return;
    this.unhold();
    this.socket.resume();
  }

  // ---- response, for the exchange ----

  /** The Connection header the response needs for this client, with its CRLF ('' for plain HTTP/1.1 keep-alive). */
  connectionHeader(closeAfterResponse: boolean): string {
    // A body not read to its end yet may never be: the connection may have to close, so the client is told now.
    if (closeAfterResponse || !this.bodyDone) this.closeAfter = true;
    if (this.closeAfter || !this.keepAlive) return 'connection: close\r\n';
    return this.minor === 0 ? 'connection: keep-alive\r\n' : '';
  }

  /** The client reads HTTP/1.0: no chunked framing. */
  get http10(): boolean {
    return this.minor === 0;
  }

  /** The response is complete: the next pipelined request goes (once the client has taken this one), or the connection closes. */
  end(): void {
    this.out.flush();
    this.exchange = null;
    if (this.state !== 'active') return;
    if (this.closeAfter || !this.keepAlive || !this.bodyDone) {
      this.close();
      return;
    }
    this.since = performance.now();
    this.out.next();
    if (this.socket.writableNeedDrain) {
      // The client has not read the answer yet: starting the next request now would pile answers up in memory.
      this.state = 'flushing';
      if (this.out.blockedSince < 0) this.out.blockedSince = this.since;
      return;
    }
    this.next();
  }

  /** A short plain-text answer from the proxy itself, ending the exchange (the connection stays if it can). */
  respond(status: number, message: string, extraHeaders = '', close = false): void {
    if (this.out.headSent) return this.destroy();
    this.out.head(plainAnswer(status, message, `${extraHeaders}${this.connectionHeader(close)}`));
    this.end();
  }

  /** An answer when the head cannot be parsed or time ran out: the connection closes after it. */
  fail(status: number, message: string): void {
    if (this.state === 'closed' || this.state === 'upgraded') return;
    if (this.out.headSent) {
      this.out.flush();
      return this.destroy();
    }
    const ex = this.exchange;
    this.closeAfter = true;
    this.state = 'active';
    this.respond(status, message);
    ex?.clientGone(); // an exchange mid-body (413, 408) ends here too: its upstream request is aborted
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Listener shutdown: idle connections close now, busy ones after their response. */
  shutdown(): void {
    this.closeAfter = true;
    if (this.state === 'idle' || this.state === 'flushing') this.close();
  }

  sweep(now: number): void {
    const due = overdue({ state: this.state, since: this.since, blockedSince: this.out.blockedSince, heldSince: this.heldSince, bodyDone: this.bodyDone, received: this.body.received }, this.owner.limits, now);
    if (due === 'destroy') this.destroy(); // the client reads nothing: what is in flight for it ends (clientGone)
    else if (due === 'close') this.close();
    else if (due) this.fail(408, due.timeout);
  }

  // ---- internals ----

  private onData(chunk: Buffer): void {
    if (this.state === 'active' || this.state === 'flushing') {
      if (this.state === 'active' && !this.body.done && this.body.claimed) return this.feedBody(chunk);
      this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
      if (this.buf.length > MAX_PIPELINED) this.socket.pause();
      return;
    }
    if (this.state !== 'idle' && this.state !== 'head') return;
    if (this.state === 'idle') {
      this.state = 'head';
      this.since = performance.now();
    }
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.parseNext();
  }

  /**
   * Parses buffered requests without recursion: a response answered at once
   * (404, 400) ends inside parse() and asks for the next one, and thousands of
   * pipelined requests must not become thousands of stack frames.
   */
  private parseNext(): void {
    if (this.inParse) {
      this.parseAgain = true;
      return;
    }
    this.inParse = true;
    try {
      do {
        this.parseAgain = false;
        if (this.buf !== null && (this.state === 'idle' || this.state === 'head')) this.parse();
      } while (this.parseAgain);
    } finally {
      this.inParse = false;
    }
  }

  /** Reading goes on between requests and while pipelined bytes stay under the limit; a body waits for its exchange. */
  private wantsInput(): boolean {
    if (this.state === 'idle' || this.state === 'head') return true;
    return (this.state === 'flushing' || (this.state === 'active' && this.bodyDone)) && (this.buf === null || this.buf.length <= MAX_PIPELINED);
  }

  /** Between requests: the next pipelined one starts, or reading resumes. */
  private next(): void {
    this.state = 'idle';
    this.parseNext();
    if (this.socket.isPaused() && this.wantsInput()) this.socket.resume();
  }

  /** The client took what was waiting for it. */
  private onDrain(): void {
    this.out.drained();
    if (this.state !== 'flushing') return this.exchange?.onWritable();
    if (this.closeAfter) return this.close();
    this.since = performance.now();
    this.next();
  }

  /** Time the proxy itself held the body back does not count against the client's requestTimeout or body rate. */
  private unhold(): void {
    if (this.heldSince >= 0) {
      this.since += performance.now() - this.heldSince;
      this.heldSince = -1;
    }
  }

  /** The client will send nothing more (half-close): requests already read are still answered, then the connection closes. */
  private onEnd(): void {
    this.closeAfter = true;
    // (In 'flushing' it closes once the client has taken the last answer.)
    if (this.state === 'idle' || (this.state === 'head' && this.buf === null)) this.close();
    else if (this.state === 'head') this.fail(400, 'connection ended inside a request head');
    else if (this.state === 'active' && !this.bodyDone) this.fail(400, 'connection ended inside a request body');
  }

  /** Reads the next request head from the buffer, if it is all there, and starts its exchange. */
  private parse(): void {
    let buf = this.buf!;
    // RFC 9112 §2.2: empty lines before a request line are ignored (some clients send CRLF after a body).
    while (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) {
      buf = buf.subarray(2);
      this.scanned = 0;
    }
    if (buf.length === 0) {
      this.buf = null;
      return;
    }
    this.buf = buf;
    let head: RequestHead;
    try {
      const end = findHeadEnd(buf, this.scanned, this.owner.limits.maxHeaderBytes);
      this.scanned = end < 0 ? buf.length : 0;
      if (end < 0) {
        if (this.state === 'idle') {
          this.state = 'head';
          this.since = performance.now();
        }
        return;
      }
      head = parseRequestHead(buf, end);
    } catch (err) {
      if (err instanceof HeadError) return this.fail(err.status(431), err.message);
      throw err;
    }
    this.buf = head.headEnd < buf.length ? buf.subarray(head.headEnd) : null;
    this.state = 'active';
    this.since = performance.now();
    this.minor = head.minor;
    this.keepAlive = head.minor === 1 ? !hasToken(head.connection, 'close') : hasToken(head.connection, 'keep-alive');
    this.body = head.chunked || head.contentLength > 0 ? new RequestBody(head, this.owner.limits.maxBodyBytes) : RequestBody.NONE;
    this.heldSince = -1;
    if (head.upgrade !== '' && hasToken(head.connection, 'upgrade')) return this.handOver(head);
    this.expectContinue = head.expectContinue && !this.bodyDone;
    if (!this.bodyDone) {
      this.socket.pause(); // until the exchange says where the body goes
      this.heldSince = this.since;
    }
    this.owner.request(this, head);
  }

  /** The exchange decided where the body goes: invite it if the client waits for that, then read. */
  private startBody(): void {
    this.unhold();
    // Only now: a request refused on its head alone (413) must not invite the upload.
    if (this.expectContinue) {
      this.expectContinue = false;
      this.socket.write(CONTINUE, 'latin1');
    }
    const b = this.buf;
    if (b !== null && !this.body.done) {
      this.buf = null;
      this.feedBody(b);
    }
    if (this.state === 'active' && !this.body.done && !this.body.full) this.socket.resume();
  }

  /** Body bytes: up to the end of this request's body; anything after belongs to the next request. */
  private feedBody(part: Buffer): void {
    let end: number;
    try {
      end = this.body.push(part);
    } catch (err) {
      if (err instanceof HeadError) return this.fail(err.status(413), err.message);
      throw err;
    }
    if (end < 0) {
      if (this.body.full) {
        this.socket.pause();
        this.heldSince = performance.now();
        // The first bytes of a large body are in: now the exchange picks an instance and streams the rest.
        if (this.body.prefixReady) this.body.handOver();
      }
      return;
    }
    if (end < part.length) this.buf = this.buf === null ? part.subarray(end) : Buffer.concat([this.buf, part.subarray(end)]);
    this.body.finish(); // after the next request's bytes are kept: finishing may answer at once and read them
  }

  private handOver(head: RequestHead): void {
    const rest = this.buf ?? Buffer.alloc(0);
    this.buf = null;
    this.detach();
    this.state = 'upgraded';
    this.owner.upgrade(this, head, this.socket, rest);
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.out.flush();
    closeSoon(this.socket);
    this.detach();
  }

  /** Stops reading this socket as HTTP: it is closing, or someone else owns it now. */
  private detach(): void {
    const wasOpen = this.state !== 'closed' && this.state !== 'upgraded';
    this.state = 'closed';
    this.socket.off('data', this.onDataFn);
    this.socket.off('drain', this.onDrainFn);
    this.socket.off('end', this.onEndFn);
    this.owner.sweeper.delete(this);
    if (wasOpen) this.owner.closed(this);
  }

  private onClose(): void {
    this.socket.off('close', this.onCloseFn);
    const ex = this.exchange;
    this.exchange = null;
    if (this.state !== 'upgraded') this.detach();
    ex?.clientGone();
  }
}

/** Ends our side and closes once the last bytes are handed to the kernel (the listener allows half-open sockets). */
function closeSoon(socket: Socket): void {
  socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

function onSocketError(this: Socket): void {
  this.destroy();
}
