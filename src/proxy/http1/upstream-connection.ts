import { connect, type Socket } from 'node:net';
import { ChunkedScanner } from './chunked.ts';
import { findHeadEnd, hasToken, HeadError } from './head-parser.ts';
import { parseResponseHead, type ResponseHead } from './response-head.ts';
import { STALE, UpstreamError } from './upstream-error.ts';
import type { Sweepable } from './sweeper.ts';

/** One request as it goes to an instance: the head already serialised, the body buffered or streamed after. */
export interface UpstreamRequest {
  /** Request line, headers and the blank line, latin1. */
  head: string;
  /** A buffered body sent with the head, or null. */
  body: Buffer | null;
  /** The body follows through RequestControl.writeBody / endBody. */
  streaming: boolean;
  /** HEAD: the response has no body whatever its headers say. */
  headRequest: boolean;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** How the exchange drives its request once it has a connection. */
export interface RequestControl {
  abort(err: Error): void;
  writeBody(chunk: Buffer): boolean;
  endBody(): void;
  /** Reading the response resumes after onData returned false. */
  resume(): void;
}

/** The response, as it arrives; body bytes keep their wire framing (see `framing`). */
export interface ResponseHandler {
  onConnect(ctl: RequestControl): void;
  onHeaders(head: ResponseHead, framing: Framing): void;
  /** False asks the connection to stop reading until `resume()`. */
  onData(chunk: Buffer): boolean;
  /** End of one read from the instance: a good moment to flush what was written. */
  onFlush(): void;
  onComplete(): void;
  /** Writing the streamed body may go on after a false writeBody. */
  onBodyDrain?(): void;
  /** Chunks passed to onData may still be referenced (written on, but not yet handed to the kernel). */
  retainsData?(): boolean;
  onError(err: UpstreamError): void;
}

/** How the response body is delimited: by length, by chunked framing, by the connection closing, or absent. */
export type Framing = 'length' | 'chunked' | 'close' | 'none';

export interface ConnectionOwner {
  connectTimeoutMs: number;
  /** The connection is free again; `reusable` false means it closed or must close. */
  released(c: UpstreamConnection, reusable: boolean): void;
  lost(c: UpstreamConnection): void;
}

const MAX_RESPONSE_HEAD = 64 * 1024;
/** Bytes read from an instance at once, into a buffer reused from read to read. */
const READ_BUFFER = 64 * 1024;
/** Idle upstream connections close before a typical server's 5 s keep-alive timeout would close them under us. */
export const UPSTREAM_IDLE_MS = 4_000;

const HEAD = 0;
const LENGTH = 1;
const CHUNKED = 2;
const UNTIL_CLOSE = 3;

/** One kept-alive TCP connection to an instance, carrying one request at a time. */
export class UpstreamConnection implements RequestControl, Sweepable {
  state: 'connecting' | 'idle' | 'busy' | 'closed' = 'connecting';
  private readonly socket: Socket;
  private handler: ResponseHandler | null = null;
  private req: UpstreamRequest | null = null;
  private buf: Buffer | null = null;
  /** Bytes of `buf` already searched for the end of the head. */
  private scanned = 0;
  private phase = HEAD;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  private gotBytes = false;
  private bodySent = true;
  private keepAlive = true;
  private deadline = 0;
  private idleSince = 0;
  /**
   * Reads land in this buffer (net's `onread`: no Buffer and no stream event
   * per read). Body bytes are written on from it; when a write keeps them
   * (the client is slow), the next read gets a fresh buffer instead.
   */
  private readBuf = Buffer.allocUnsafe(READ_BUFFER);

  constructor(host: string, port: number, private readonly owner: ConnectionOwner) {
    const s = connect({
      host, port, timeout: owner.connectTimeoutMs, noDelay: true,
      onread: { buffer: () => this.readBuf, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
    });
    this.socket = s;
    s.once('connect', () => this.onConnected());
    s.once('timeout', () => { if (this.state === 'connecting') this.fail(new UpstreamError('UPSTREAM_CONNECT_TIMEOUT', `connect timed out after ${owner.connectTimeoutMs} ms`)); });
    s.on('drain', () => this.handler?.onBodyDrain?.());
    s.once('end', () => this.onEnd());
    s.on('error', (err: NodeJS.ErrnoException) => this.fail(new UpstreamError(err.code ?? 'ECONNRESET', err.message)));
    s.once('close', () => this.fail(new UpstreamError('UPSTREAM_CLOSED', 'the instance closed the connection')));
  }

  /** Sends a request now if connected, or as soon as the connection is up. */
  start(req: UpstreamRequest, handler: ResponseHandler): void {
    this.req = req;
    this.handler = handler;
    if (this.state === 'connecting') return;
    // Closed by the instance since it went idle (its FIN not yet seen as 'end'): nothing is written, any request may go elsewhere.
    if (!this.socket.writable) {
      this.gotBytes = false; // (of the previous response)
      return this.fail(new UpstreamError(STALE, 'the kept-alive connection had closed before the request was written'));
    }
    this.send();
  }

  /** A request handed over while connecting is taken back before anything was sent. */
  cancelPending(handler: ResponseHandler): boolean {
    if (this.state !== 'connecting' || this.handler !== handler) return false;
    this.handler = null;
    this.req = null;
    this.destroy();
    return true;
  }

  // ---- RequestControl ----

  abort(err: Error): void {
    const h = this.handler;
    this.handler = null;
    this.destroy();
    h?.onError(err instanceof UpstreamError ? err : new UpstreamError('UPSTREAM_ABORTED', err.message));
  }

  writeBody(chunk: Buffer): boolean {
    return this.socket.write(chunk);
  }

  endBody(): void {
    this.bodySent = true;
  }

  resume(): void {
    this.socket.resume();
  }

  // ---- sweeper ----

  sweep(now: number): void {
    if (this.state === 'idle') {
      if (now - this.idleSince > UPSTREAM_IDLE_MS) this.destroy();
    } else if (this.state === 'busy' && now > this.deadline) {
      this.fail(this.phase === HEAD
        ? new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `no response headers within ${this.req!.headersTimeoutMs} ms`)
        : new UpstreamError('UPSTREAM_BODY_TIMEOUT', `response body idle for ${this.req!.bodyTimeoutMs} ms`));
    }
  }

  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.destroy();
    this.owner.lost(this);
  }

  // ---- internals ----

  private onConnected(): void {
    this.socket.setTimeout(0);
    if (this.state !== 'connecting') return;
    if (this.handler === null) {
      this.state = 'idle';
      this.idleSince = performance.now();
      this.owner.released(this, true);
      return;
    }
    this.send();
  }

  private send(): void {
    const req = this.req!;
    this.state = 'busy';
    this.phase = HEAD;
    this.buf = null;
    this.gotBytes = false;
    this.keepAlive = true;
    this.bodySent = !req.streaming;
    this.deadline = performance.now() + req.headersTimeoutMs;
    const s = this.socket;
    if (req.body === null) s.write(req.head, 'latin1');
    else {
      s.cork();
      s.write(req.head, 'latin1');
      s.write(req.body);
      s.uncork();
    }
    this.handler!.onConnect(this);
  }

  private onRead(n: number, buf: Buffer): boolean {
    const h = this.handler;
    this.onData(buf.subarray(0, n));
    if (h !== null && h.retainsData?.() === true) this.readBuf = Buffer.allocUnsafe(READ_BUFFER);
    return true;
  }

  private onData(chunk: Buffer): void {
    const h = this.handler;
    if (h === null || this.state !== 'busy') {
      this.destroy(); // bytes nobody asked for: the connection's framing can no longer be trusted
      return;
    }
    this.gotBytes = true;
    try {
      if (this.phase === HEAD) {
        const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
        const end = this.readHead(buf, h);
        if (end < 0) return;
        if (this.handler !== h) return;
        if (end < buf.length) this.body(buf.subarray(end), h);
      } else this.body(chunk, h);
    } catch (err) {
      if (err instanceof HeadError) return this.fail(new UpstreamError('UPSTREAM_BAD_RESPONSE', err.message));
      throw err;
    }
    if (this.handler === h) h.onFlush();
  }

  /** Parses the head (skipping 1xx); returns the offset where the body starts, or -1 for more bytes. */
  private readHead(buf: Buffer, h: ResponseHandler): number {
    let start = 0;
    for (;;) {
      const rest = start === 0 ? buf : buf.subarray(start);
      // A partial head kept from earlier reads (start 0, this.buf set) was searched up to `scanned` already.
      const end = findHeadEnd(rest, start === 0 && this.buf !== null ? this.scanned : 0, MAX_RESPONSE_HEAD);
      if (end < 0) {
        this.buf = Buffer.from(rest); // a copy: `rest` may be a view of the reused read buffer
        this.scanned = rest.length;
        return -1;
      }
      const head = parseResponseHead(rest, end);
      if (head.status < 200) {
        start += end; // 1xx (100 Continue, 103 Early Hints): informational, the real head follows
        continue;
      }
      this.buf = null;
      this.keepAlive = head.minor === 1 ? !hasToken(head.connection, 'close') : hasToken(head.connection, 'keep-alive');
      const framing = this.framing(head);
      this.deadline = performance.now() + this.req!.bodyTimeoutMs;
      h.onHeaders(head, framing);
      if (framing === 'none') {
        if (start + end < buf.length) this.keepAlive = false; // bytes after a bodiless answer: framing is off, do not reuse
        this.complete(h);
      }
      return start + end;
    }
  }

  private framing(head: ResponseHead): Framing {
    if (this.req!.headRequest || head.status === 204 || head.status === 304) return 'none';
    if (head.chunked) {
      this.phase = CHUNKED;
      this.scanner = new ChunkedScanner();
      return 'chunked';
    }
    if (head.contentLength >= 0) {
      if (head.contentLength === 0) return 'none';
      this.phase = LENGTH;
      this.remaining = head.contentLength;
      return 'length';
    }
    this.phase = UNTIL_CLOSE;
    this.keepAlive = false;
    return 'close';
  }

  private body(part: Buffer, h: ResponseHandler): void {
    this.deadline = performance.now() + this.req!.bodyTimeoutMs;
    let data = part;
    let done = false;
    if (this.phase === LENGTH) {
      if (part.length >= this.remaining) {
        if (part.length > this.remaining) this.keepAlive = false; // more than declared: do not reuse
        data = part.subarray(0, this.remaining);
        done = true;
      }
      this.remaining -= data.length;
    } else if (this.phase === CHUNKED) {
      const end = this.scanner!.push(part);
      if (end >= 0) {
        if (end < part.length) this.keepAlive = false;
        data = part.subarray(0, end);
        done = true;
      }
    }
    if (data.length > 0 && !h.onData(data) && !done) this.socket.pause();
    if (done) this.complete(h);
  }

  private onEnd(): void {
    const h = this.handler;
    if (h !== null && this.state === 'busy' && this.phase === UNTIL_CLOSE) {
      this.keepAlive = false;
      this.complete(h);
    } else if (this.state === 'idle') this.destroy(); // the instance closed it: out of the pool now, not at 'close'
  }

  /** The response is complete: the connection goes back to the pool first, so a follow-up request can reuse it. */
  private complete(h: ResponseHandler): void {
    this.handler = null;
    this.req = null;
    this.scanner = null;
    const reusable = this.keepAlive && this.bodySent;
    if (reusable) {
      this.state = 'idle';
      this.idleSince = performance.now();
      this.socket.resume();
    } else this.destroy();
    this.owner.released(this, reusable);
    h.onComplete();
  }

  private fail(err: UpstreamError): void {
    const h = this.handler;
    this.handler = null;
    const wasConnecting = this.state === 'connecting';
    this.destroy();
    if (h === null) return;
    // Nothing came back: to the exchange this looks like a reset before the response, which it may retry.
    if (!this.gotBytes && err.code === 'UPSTREAM_CLOSED') err = new UpstreamError('ECONNRESET', 'the instance closed the connection before responding');
    // After part of a response arrived, a reset is no longer "before the response": never retried.
    else if (this.gotBytes && err.retryableBeforeResponse) err = new UpstreamError('UPSTREAM_CLOSED', `the connection broke mid-response (${err.code})`);
    if (wasConnecting && !err.connectFailure) err = new UpstreamError('ECONNREFUSED', err.message);
    h.onError(err);
  }
}
