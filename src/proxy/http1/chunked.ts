import { HeadError } from './head-parser.ts';

/**
 * Follows chunked framing (RFC 9112 §7.1) over raw bytes without copying
 * them, so a chunked body can be forwarded as it came and the proxy still
 * knows where the message ends. With `onData` it also hands out the data
 * bytes alone (for a client that cannot read chunked framing).
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

  constructor(private readonly onData?: (chunk: Buffer) => void) {}

  /**
   * Consumes `buf` from `start`; returns the offset just after the end of
   * the message, or -1 when all of it belonged to the body and more is due.
   */
  push(buf: Buffer, start = 0): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case SIZE: {
          const c = buf[i]!;
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.sizeDigits > 12) throw bad('chunk size too long');
            this.size = this.size * 16 + d;
          } else if (c === 0x3b /* ; */ && this.sizeDigits > 0) this.state = EXT;
          else if (c === 0x0d && this.sizeDigits > 0) this.state = SIZE_LF;
          else throw bad('invalid chunk size');
          i++;
          break;
        }
        case EXT:
          if (buf[i] === 0x0d) this.state = SIZE_LF;
          else if (buf[i] === 0x0a) throw bad('bare LF in chunk extension');
          i++;
          break;
        case SIZE_LF:
          if (buf[i++] !== 0x0a) throw bad('chunk size line without LF');
          if (this.size === 0) {
            this.state = TRAILER;
            this.lineLen = 0;
          } else {
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
          const c = buf[i++]!;
          if (c === 0x0d) this.state = TRAILER_LF;
          else if (c === 0x0a) throw bad('bare LF in trailer');
          else this.lineLen++;
          break;
        }
        case TRAILER_LF:
          if (buf[i++] !== 0x0a) throw bad('trailer line without LF');
          if (this.lineLen === 0) {
            this.state = DONE;
            return i;
          }
          this.lineLen = 0;
          this.state = TRAILER;
          break;
        default:
          return i;
      }
    }
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
