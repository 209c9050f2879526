import { ChunkedScanner } from './chunked.ts';
import { HeadError, type RequestHead } from './head-parser.ts';

/** Where a streamed request body goes; false from write pauses reading from the client. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
}

/**
 * One request's body as it comes off the client connection: followed to its
 * end by Content-Length or chunked framing, then either collected whole (small
 * bodies, kept for retries) or streamed to a sink in its wire framing.
 */
export class RequestBody {
  /** A request without a body: nothing to read (shared, never given a sink). */
  static readonly NONE = new RequestBody(null, 0);

  /** Read to its end (or there is none). */
  done: boolean;
  /** Some of it was handed on: the request can no longer be replayed elsewhere. */
  touched = false;
  /** The sink refused the last write: stop reading the client until it drains. */
  full = false;
  private left: number;
  private readonly scanner: ChunkedScanner | null;
  private onCollected: ((body: Buffer) => void) | null = null;
  private chunks: Buffer[] | null = null;
  private sink: BodySink | null = null;

  constructor(head: RequestHead | null, private readonly maxBytes: number) {
    this.scanner = head?.chunked ? new ChunkedScanner() : null;
    this.left = head === null || head.chunked ? 0 : Math.max(0, head.contentLength);
    this.done = this.scanner === null && this.left === 0;
  }

  /** Someone takes the bytes: collect() or stream() was called. */
  get claimed(): boolean {
    return this.chunks !== null || this.sink !== null;
  }

  collect(cb: (body: Buffer) => void): void {
    this.onCollected = cb;
    this.chunks = [];
    if (this.done) this.finish();
  }

  stream(sink: BodySink): void {
    this.sink = sink;
    if (this.done) this.finish();
  }

  /**
   * Takes this body's bytes from `part`. Returns the offset where the body
   * ended (what follows is the next request's; the caller then calls
   * finish(), once it has kept those bytes) or -1 when more is due.
   * Throws HeadError: 'bad-request' for broken chunk framing, 'too-large'
   * for a chunked body over the limit (a declared length is checked before).
   */
  push(part: Buffer): number {
    let piece = part;
    let end = -1;
    if (this.scanner !== null) {
      end = this.scanner.push(part);
      if (this.scanner.dataBytes > this.maxBytes) throw new HeadError('too-large', `request body larger than ${this.maxBytes} bytes`);
      if (end >= 0) piece = part.subarray(0, end);
    } else {
      if (part.length >= this.left) {
        end = this.left;
        piece = part.subarray(0, end);
      }
      this.left -= piece.length;
    }
    this.full = false;
    if (piece.length > 0) {
      this.touched = true;
      if (this.chunks !== null) this.chunks.push(piece);
      else if (this.sink !== null) this.full = !this.sink.write(piece) && end < 0;
    }
    if (end >= 0) this.done = true;
    return end;
  }

  /** Hands the collected body over, or ends the stream. */
  finish(): void {
    if (this.chunks !== null) {
      const chunks = this.chunks;
      const cb = this.onCollected!;
      this.chunks = null;
      this.onCollected = null;
      cb(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    } else if (this.sink !== null) {
      const sink = this.sink;
      this.sink = null;
      sink.end();
    }
  }
}
