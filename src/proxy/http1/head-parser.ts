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

export type HeadProblem = 'bad-request' | 'too-large' | 'not-implemented';

/** A head the proxy refuses; the client connection answers 400, 431 (413 for a body) or 501 and closes. */
export class HeadError extends Error {
  constructor(readonly problem: HeadProblem, message: string) {
    super(message);
  }

  /** The status the client gets: `tooLarge` is 431 for a head, 413 for a body. */
  status(tooLarge: 413 | 431): number {
    return this.problem === 'too-large' ? tooLarge : this.problem === 'not-implemented' ? 501 : 400;
  }
}

/** What request and response heads share: the body framing and the connection's fate. */
export interface HeadFraming {
  /** Declared Content-Length, -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  /**
   * The Transfer-Encoding value ('' when absent). A response's is kept as sent (codings before chunked are passed
   * on with it); a request's can only be "chunked" (anything else is refused, see applyRequestTransferEncoding).
   */
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
  const hosts = readHeaders(lines, head);
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (a 1.0 one may lack it).
  if (hosts === 0 && head.minor === 1) throw new HeadError('bad-request', 'missing Host header');
  if (head.chunked && head.contentLength >= 0) throw new HeadError('bad-request', 'both Content-Length and Transfer-Encoding');
  return head;
}

function headLines(buf: Buffer, end: number): string[] {
  const text = latin1(buf, 0, end - 4);
  if (BAD_CHARS.test(text)) throw new HeadError('bad-request', 'control character in head');
  return text.split('\r\n');
}

/** One pass over the header lines; framing headers are validated as they are met. Returns how many Host lines it saw. */
function readHeaders(lines: string[], head: RequestHead): number {
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
        if (name.toLowerCase() === 'host') {
          if (++hosts > 1) throw new HeadError('bad-request', 'more than one Host header');
          if (!isHostPort(value)) throw new HeadError('bad-request', `invalid Host header "${value.slice(0, 60)}"`);
        }
        break;
      case 6: if (name.toLowerCase() === 'expect') head.expectContinue = value.toLowerCase() === '100-continue'; break;
      case 7: if (name.toLowerCase() === 'upgrade') head.upgrade = value; break;
      case 10: if (name.toLowerCase() === 'connection') head.connection = head.connection ? `${head.connection},${value.toLowerCase()}` : value.toLowerCase(); break;
      case 14: if (name.toLowerCase() === 'content-length') applyContentLength(head, value); break;
      case 17: if (name.toLowerCase() === 'transfer-encoding') applyRequestTransferEncoding(head, value); break;
      default: break;
    }
  }
  return hosts;
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

/**
 * A request's Transfer-Encoding: only "chunked" is accepted, so what goes upstream is plain chunked framing whatever
 * the client wrote. RFC 9112 §6.1/§6.3: not in HTTP/1.0 (400), chunked must be the last coding and come once (400);
 * a coding the proxy does not implement (gzip, identity, ...) before it gets 501; a malformed list gets 400.
 */
function applyRequestTransferEncoding(head: RequestHead, value: string): void {
  if (head.minor === 0) throw new HeadError('bad-request', 'Transfer-Encoding in an HTTP/1.0 request');
  if (head.chunked) throw new HeadError('bad-request', 'more than one Transfer-Encoding header');
  const lower = value.toLowerCase();
  if (lower !== 'chunked') {
    const codings = lower.split(',');
    for (let i = 0; i < codings.length; i++) {
      const coding = codings[i]!.trim();
      const semi = coding.indexOf(';');
      const name = (semi < 0 ? coding : coding.slice(0, semi)).trim();
      if (!TOKEN.test(name)) throw new HeadError('bad-request', `malformed Transfer-Encoding "${value.slice(0, 40)}"`);
      const last = i === codings.length - 1;
      if (name === 'chunked' ? !last || semi >= 0 : last) throw new HeadError('bad-request', `Transfer-Encoding "${value.slice(0, 40)}" does not end in one plain chunked`);
    }
    throw new HeadError('not-implemented', `unsupported transfer coding in "${value.slice(0, 40)}" (only chunked is accepted on a request)`);
  }
  head.chunked = true;
  head.transferEncoding = 'chunked';
}

/** A response's Transfer-Encoding value: it must end in chunked, and come once. */
export function applyTransferEncoding(head: HeadFraming, value: string): void {
  const codings = value.toLowerCase().split(',');
  const last = codings[codings.length - 1]!.trim();
  // Only chunked framing is understood; anything else would leave the message end unknown.
  if (last !== 'chunked' || head.chunked) throw new HeadError('bad-request', `unsupported Transfer-Encoding "${value.slice(0, 40)}"`);
  head.chunked = true;
  head.transferEncoding = value;
}

/** RFC 3986 characters of a reg-name (unreserved and sub-delims), by char code; "%" is handled apart. */
const REG_NAME = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=") REG_NAME[c.charCodeAt(0)] = 1;

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/**
 * A Host value is `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2): a reg-name or IPv4 address, or an IP
 * literal in brackets, and up to five port digits. One pass over the characters, nothing allocated.
 */
export function isHostPort(v: string): boolean {
  const n = v.length;
  let i = 0;
  if (n > 0 && v.charCodeAt(0) === 0x5b /* [ */) {
    for (i = 1; i < n && v.charCodeAt(i) !== 0x5d /* ] */; i++) {
      const c = v.charCodeAt(i);
      if (c >= 128 || (REG_NAME[c] !== 1 && c !== 0x3a /* : */)) return false;
    }
    if (i === n || i === 1) return false;
    i++;
  } else {
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c === 0x3a) break;
      if (c === 0x25 /* % */) {
        if (i + 2 >= n || !isHex(v.charCodeAt(i + 1)) || !isHex(v.charCodeAt(i + 2))) return false;
        i += 3;
      } else if (c < 128 && REG_NAME[c] === 1) i++;
      else return false;
    }
    if (i === 0) return false;
  }
  if (i === n) return true;
  if (v.charCodeAt(i) !== 0x3a || n - i - 1 > 5) return false;
  for (i++; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** True when the Connection tokens include `token`. */
export function hasToken(connection: string, token: string): boolean {
  if (connection === '') return false;
  if (connection === token) return true;
  if (!connection.includes(token)) return false; // the usual "keep-alive" asked about "close": no split
  for (const t of connection.split(',')) if (t.trim() === token) return true;
  return false;
}
