/**
 * HTTP/1.1 request heads, parsed in JavaScript from the raw bytes (response
 * heads: response-head.ts).
 *
 * The proxy forwards bodies as bytes and only needs the head: one latin1
 * string per head, one split into lines, and the few headers that decide
 * framing and routing looked at by name. Anything RFC 9112 calls invalid
 * that could let two parsers disagree on where a message ends (request
 * smuggling) is refused, not repaired.
 */

export type HeadProblem = 'bad-request' | 'too-large';

/** A head the proxy refuses; the client connection answers 400 or 431 and closes. */
export class HeadError extends Error {
  constructor(readonly problem: HeadProblem, message: string) {
    super(message);
  }
}

/** What request and response heads share: the body framing and the connection's fate. */
export interface HeadFraming {
  /** Declared Content-Length, -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  /** The Transfer-Encoding value as sent ('' when absent): other codings before chunked are passed on with it. */
  transferEncoding: string;
  /** The Connection header's tokens, lower case, comma-joined ('' when absent). */
  connection: string;
  /** Byte offset just after the blank line that ends the head. */
  headEnd: number;
}

export interface RequestHead extends HeadFraming {
  /** Header names as sent (case kept) and values trimmed, flat [name, value, ...]. */
  headers: string[];
  method: string;
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Expect: 100-continue was asked. */
  expectContinue: boolean;
  /** The Upgrade header's value ('' when absent). */
  upgrade: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');
/** Control characters other than HTAB, CR and LF: never valid in a head. */
const BAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.([01])$/;
const DIGITS = /^\d{1,15}$/;

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Bytes as a latin1 string (one byte, one char: heads are not UTF-8). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as Latin1Buffer).latin1Slice(start, end);
}

/** Where the head ends (offset after CRLFCRLF), or -1; throws 431 once `max` bytes hold no complete head. */
export function findHeadEnd(buf: Buffer, from: number, max: number): number {
  const i = buf.indexOf(CRLF2, Math.max(0, from - 3));
  if (i >= 0) {
    if (i + 4 > max) throw new HeadError('too-large', `request head larger than ${max} bytes`);
    return i + 4;
  }
  if (buf.length > max) throw new HeadError('too-large', `request head larger than ${max} bytes`);
  return -1;
}

/** Parses a complete request head that ends at `end` (from findHeadEnd). */
export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const lines = headLines(buf, end);
  const m = REQUEST_LINE.exec(lines[0]!);
  if (m === null) throw new HeadError('bad-request', 'malformed request line');
  const head: RequestHead = {
    method: m[1]!, target: m[2]!, minor: m[3] === '1' ? 1 : 0,
    headers: [], contentLength: -1, chunked: false, transferEncoding: '', connection: '', headEnd: end, expectContinue: false, upgrade: '',
  };
  readHeaders(lines, head);
  if (head.chunked && head.contentLength >= 0) throw new HeadError('bad-request', 'both Content-Length and Transfer-Encoding');
  return head;
}

function headLines(buf: Buffer, end: number): string[] {
  const text = latin1(buf, 0, end - 4);
  if (BAD_CHARS.test(text)) throw new HeadError('bad-request', 'control character in head');
  return text.split('\r\n');
}

/** One pass over the header lines; framing headers are validated as they are met. */
function readHeaders(lines: string[], head: RequestHead): void {
  const out = head.headers;
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HeadError('bad-request', 'header line without a name');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HeadError('bad-request', `invalid header name "${name.slice(0, 40)}"`);
    const value = trimOws(line, colon + 1);
    if (value.includes('\r') || value.includes('\n')) throw new HeadError('bad-request', 'bare CR or LF in a header');
    out.push(name, value);
    switch (name.length) {
      case 4:
        // RFC 9112 §3.2: a request with more than one Host is refused (two parties could route it differently).
        if (name.toLowerCase() === 'host' && ++hosts > 1) throw new HeadError('bad-request', 'more than one Host header');
        break;
      case 6: if (name.toLowerCase() === 'expect') head.expectContinue = value.toLowerCase() === '100-continue'; break;
      case 7: if (name.toLowerCase() === 'upgrade') head.upgrade = value; break;
      case 10: if (name.toLowerCase() === 'connection') head.connection = head.connection ? `${head.connection},${value.toLowerCase()}` : value.toLowerCase(); break;
      case 14: if (name.toLowerCase() === 'content-length') applyContentLength(head, value); break;
      case 17: if (name.toLowerCase() === 'transfer-encoding') applyTransferEncoding(head, value); break;
      default: break;
    }
  }
}

/** Strips optional whitespace (SP and HTAB only: String#trim would also eat CR, LF and NBSP, hiding them). */
function trimOws(line: string, from: number): string {
  let a = from;
  let b = line.length;
  while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
  return line.slice(a, b);
}

/** A Content-Length value: digits only, and equal to any earlier one. */
export function applyContentLength(head: HeadFraming, value: string): void {
  if (!DIGITS.test(value)) throw new HeadError('bad-request', `invalid Content-Length "${value.slice(0, 40)}"`);
  const n = Number(value);
  if (head.contentLength >= 0 && head.contentLength !== n) throw new HeadError('bad-request', 'conflicting Content-Length headers');
  head.contentLength = n;
}

/** A Transfer-Encoding value: it must end in chunked, and come once. */
export function applyTransferEncoding(head: HeadFraming, value: string): void {
  const codings = value.toLowerCase().split(',');
  const last = codings[codings.length - 1]!.trim();
  // Only chunked framing is understood; anything else would leave the message end unknown.
  if (last !== 'chunked' || head.chunked) throw new HeadError('bad-request', `unsupported Transfer-Encoding "${value.slice(0, 40)}"`);
  head.chunked = true;
  head.transferEncoding = value;
}

/** True when the Connection tokens include `token`. */
export function hasToken(connection: string, token: string): boolean {
  if (connection === '') return false;
  if (connection === token) return true;
  if (!connection.includes(token)) return false; // the usual "keep-alive" asked about "close": no split
  for (const t of connection.split(',')) if (t.trim() === token) return true;
  return false;
}
