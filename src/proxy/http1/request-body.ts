import { ChunkedScanner, type ChunkedKeeper } from './chunked.ts';
import { HeadError, type RequestHead } from './head-parser.ts';

/** Where a streamed request body goes; false from write pauses reading from the client. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
}

/** Who gets a collected body: whole (`complete`), or its first bytes when it is larger than the collect limit. */
export interface BodyCollector {
  bodyCollected(body: Buffer, complete: boolean): void;
}

const IDLE = 0;
const COLLECT = 1;
const STREAM = 2;

/**
 * One request's body as it comes off the client connection: followed to its
 * end by Content-Length or chunked framing, collected (whole if it is small,
 * else its first bytes) before an instance is picked, then streamed to a sink
 * in its wire framing. Chunked framing goes on without chunk extensions and
 * trailer fields (see ChunkedScanner).
 */
export class RequestBody implements ChunkedKeeper {
  /** A request without a body: nothing to read (shared, never given a sink). */
  static readonly NONE = new RequestBody(null, 0);

  /** Read to its end (or there is none). */
  done: boolean;
  /** Some of it was handed to a sink: the request can no longer be replayed elsewhere. */
  touched = false;
  /** Stop reading the client: the sink refused the last write, or the collect limit was reached. */
  full = false;
  /** Body bytes read from the client so far (framing included). */
  received = 0;
  private left: number;
  private readonly scanner: ChunkedScanner | null;
  private mode = IDLE;
  private collector: BodyCollector | null = null;
  private chunks: Buffer[] | null = null;
  private collected = 0;
  private limit = 0;
  private sink: BodySink | null = null;
  /** The sink refused a write during the current push. */
  private refused = false;

  constructor(head: RequestHead | null, maxBytes: number) {
    this.scanner = head?.chunked ? new ChunkedScanner(undefined, maxBytes, this) : null;
    this.left = head === null || head.chunked ? 0 : Math.max(0, head.contentLength);
    this.done = this.scanner === null && this.left === 0;
  }

  /** Someone takes the bytes: collect() or stream() was called. */
  get claimed(): boolean {
    return this.mode !== IDLE;
  }

  /** The collect limit was reached before the end: `handOver()` gives the collected bytes away. */
  get prefixReady(): boolean {
    return this.mode === COLLECT && !this.done && this.collected >= this.limit;
  }

  /** Collects the body until it ends or `limit` bytes are kept, then calls the collector (see finish / handOver). */
  collect(limit: number, collector: BodyCollector): void {
    this.mode = COLLECT;
    this.collector = collector;
    this.chunks = [];
    this.limit = limit;
    if (this.done) this.finish();
  }

  /** Streams what comes next to the sink (after a collected prefix, or from the start). */
  stream(sink: BodySink): void {
    this.mode = STREAM;
    this.sink = sink;
    this.full = false;
    if (this.done) this.finish();
  }

  /**
   * Takes this body's bytes from `part`. Returns the offset where the body
   * ended (what follows is the next request's; the caller then calls
   * finish(), once it has kept those bytes) or -1 when more is due.
   * Throws HeadError: 'bad-request' for broken chunk framing, 'too-large'
   * for a chunked body over the limit, declared or sent (a declared length
   * is checked before).
   */
  push(part: Buffer): number {
    this.refused = false;
    let end: number;
    if (this.scanner !== null) {
      end = this.scanner.push(part); // the bytes to pass on come through kept()
    } else {
      let piece = part;
      end = -1;
      if (part.length >= this.left) {
        end = this.left;
        piece = part.subarray(0, end);
      }
      this.left -= piece.length;
      if (piece.length > 0) this.take(piece);
    }
    this.received += end < 0 ? part.length : end;
    if (end >= 0) this.done = true;
    this.full = end < 0 && (this.mode === STREAM ? this.refused : this.mode === COLLECT && this.collected >= this.limit);
    return end;
  }

  /** ChunkedKeeper: a run of the chunked framing to pass on. */
  kept(buf: Buffer, from: number, to: number): void {
    this.take(from === 0 && to === buf.length ? buf : buf.subarray(from, to));
  }

  /** The collected prefix goes to the collector; reading waits until stream() is called. */
  handOver(): void {
    const chunks = this.chunks!;
    const c = this.collector!;
    this.chunks = null;
    this.collector = null;
    this.mode = IDLE;
    c.bodyCollected(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), false);
  }

  /** Hands the collected body over, or ends the stream. */
  finish(): void {
    if (this.mode === COLLECT) {
      const chunks = this.chunks!;
      const c = this.collector!;
      this.chunks = null;
      this.collector = null;
      this.mode = IDLE;
      c.bodyCollected(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), true);
    } else if (this.mode === STREAM) {
      const sink = this.sink!;
      this.sink = null;
      this.mode = IDLE;
      sink.end();
    }
  }

  private take(piece: Buffer): void {
    if (this.mode === COLLECT) {
      this.chunks!.push(piece);
      this.collected += piece.length;
    } else if (this.mode === STREAM) {
      this.touched = true;
      if (!this.sink!.write(piece)) this.refused = true;
    }
  }
}
