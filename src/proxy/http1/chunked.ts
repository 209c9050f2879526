import { HeadError } from './head-parser.ts';

/** Where a scanner in stripping mode hands the bytes it keeps: `buf[from, to)`, in order. */
export interface ChunkedKeeper {
  kept(buf: Buffer, from: number, to: number): void;
}

/** Longest chunk extension accepted (they are never needed to find the end of a message). */
const MAX_EXTENSION = 4096;
/** Largest trailer section accepted. */
const MAX_TRAILERS = 16 * 1024;

/**
 * Follows chunked framing (RFC 9112 §7.1) over raw bytes without copying
 * them, so a chunked body can be forwarded as it came and the proxy still
 * knows where the message ends. With `onData` it also hands out the data
 * bytes alone (for a client that cannot read chunked framing). With a
 * `keeper` (request bodies) it hands out the framing without chunk
 * extensions and trailer fields, as runs of the input: `5;x=y\r\n` goes on
 * as `5\r\n` and a trailer section as the bare `\r\n`, so an instance never
 * sees either unvalidated. `maxData` refuses a chunk whose declared size
 * would take the data past it (too-large) before any of its bytes arrive.
 */
export class ChunkedScanner {
  /** Data bytes seen so far (framing not counted). */
  dataBytes = 0;
  private state: State = SIZE;
  private size = 0;
  private sizeDigits = 0;
  private left = 0;
  /** Length of the current trailer line, to tell the blank line that ends the message. */
  private lineLen = 0;
  /** Bytes of the current chunk extension, or of the trailer section so far. */
  private skipped = 0;

  constructor(
    private readonly onData?: (chunk: Buffer) => void,
    private readonly maxData = Infinity,
    private readonly keeper: ChunkedKeeper | null = null,
  ) {}

  /**
   * Consumes `buf` from `start`; returns the offset just after the end of
   * the message, or -1 when all of it belonged to the body and more is due.
   */
  push(buf: Buffer, start = 0): number {
    let i = start;
    const n = buf.length;
    // Stripping: where the run of bytes kept so far starts (-1 inside an extension or the trailer fields).
    const st = this.state;
    let keepFrom = st === EXT || ((st === TRAILER || st === TRAILER_LF) && this.lineLen > 0) ? -1 : start;
    while (i < n) {
      switch (this.state) {
        case SIZE: {
          const c = buf[i]!;
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.sizeDigits > 12) throw bad('chunk size too long');
            this.size = this.size * 16 + d;
          } else if (c === 0x3b /* ; */ && this.sizeDigits > 0) {
            this.state = EXT;
            this.skipped = 0;
            if (this.keeper !== null && keepFrom >= 0) {
              if (i > keepFrom) this.keeper.kept(buf, keepFrom, i);
              keepFrom = -1;
            }
          } else if (c === 0x0d && this.sizeDigits > 0) this.state = SIZE_LF;
          else throw bad('invalid chunk size');
          i++;
          break;
        }
        case EXT:
          if (buf[i] === 0x0d) {
            this.state = SIZE_LF;
            if (keepFrom < 0) keepFrom = i;
          } else if (buf[i] === 0x0a) throw bad('bare LF in chunk extension');
          else if (++this.skipped > MAX_EXTENSION) throw bad('chunk extension too long');
          i++;
          break;
        case SIZE_LF:
          if (buf[i++] !== 0x0a) throw bad('chunk size line without LF');
          if (this.size === 0) {
            this.state = TRAILER;
            this.lineLen = 0;
            this.skipped = 0;
          } else {
            if (this.dataBytes + this.size > this.maxData) throw new HeadError('too-large', `request body larger than ${this.maxData} bytes`);
            this.left = this.size;
            this.state = DATA;
          }
          this.size = 0;
          this.sizeDigits = 0;
          break;
        case DATA: {
          const take = Math.min(this.left, n - i);
          if (this.onData) this.onData(buf.subarray(i, i + take));
          this.left -= take;
          this.dataBytes += take;
          i += take;
          if (this.left === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (buf[i++] !== 0x0d) throw bad('chunk data longer than its size');
          this.state = DATA_LF;
          break;
        case DATA_LF:
          if (buf[i++] !== 0x0a) throw bad('chunk data without CRLF');
          this.state = SIZE;
          break;
        case TRAILER: {
          const c = buf[i]!;
          if (c === 0x0d) {
            this.state = TRAILER_LF;
            // The blank line that ends the message is kept; trailer field lines before it are not.
            if (this.lineLen === 0 && keepFrom < 0) keepFrom = i;
          } else if (c === 0x0a) throw bad('bare LF in trailer');
          else {
            if (this.lineLen === 0 && this.keeper !== null && keepFrom >= 0) {
              if (i > keepFrom) this.keeper.kept(buf, keepFrom, i);
              keepFrom = -1;
            }
            this.lineLen++;
          }
          if (++this.skipped > MAX_TRAILERS) throw bad('trailer section too large');
          i++;
          break;
        }
        case TRAILER_LF:
          if (buf[i++] !== 0x0a) throw bad('trailer line without LF');
          if (this.lineLen === 0) {
            this.state = DONE;
            if (this.keeper !== null && keepFrom >= 0 && i > keepFrom) this.keeper.kept(buf, keepFrom, i);
            return i;
          }
          this.lineLen = 0;
          this.state = TRAILER;
          break;
        default:
          return i;
      }
    }
    if (this.keeper !== null && keepFrom >= 0 && n > keepFrom) this.keeper.kept(buf, keepFrom, n);
    return -1;
  }
}

const SIZE = 0;
const EXT = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER = 6;
const TRAILER_LF = 7;
const DONE = 8;
type State = number;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function bad(message: string): HeadError {
  return new HeadError('bad-request', message);
}
