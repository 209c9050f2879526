/**
 * An instance's response head, read in one pass over the raw bytes.
 *
 * The proxy needs only the status and the framing from it; every other
 * header goes to the client exactly as it came. So the head the client gets
 * (`relayed`) is copied from the bytes in a few runs around the hop-by-hop
 * lines, instead of being split into a string per name and value and joined
 * again: a response costs a handful of strings however many headers it has.
 * Validation is as strict as for requests (head-parser.ts): anything that
 * could make two parsers disagree on the message is refused (502).
 */
import { applyContentLength, applyTransferEncoding, HeadError, latin1, type HeadFraming } from './head-parser.ts';
import { byLength, connectionListed, HOP_BY_HOP_FIELDS } from './hop-by-hop.ts';

export interface ResponseHead extends HeadFraming {
  status: number;
  reason: string;
  minor: number;
  /**
   * The status line (as HTTP/1.1) and header lines the client gets, each ending in CRLF, without the blank
   * line: hop-by-hop fields, those the Connection header lists and, with chunked framing, Content-Length
   * (RFC 9112 §6.3) are cut.
   */
  relayed: string;
}

/** Parses a complete response head that ends at `end` (just after its blank line, from findHeadEnd). */
export function parseResponseHead(buf: Buffer, end: number): ResponseHead {
  const statusEnd = lineEnd(buf, 0);
  const head: ResponseHead = {
    status: 0, reason: '', minor: 0, contentLength: -1, chunked: false, transferEncoding: '', connection: '', headEnd: end, relayed: '',
  };
  statusLine(buf, statusEnd, head);
  // Lines cut from the relayed head, as [start, end) pairs in order; Content-Length lines only if chunked wins.
  const cuts: number[] = [];
  const lengths: number[] = [];
  const last = end - 2;
  for (let at = statusEnd + 2; at < last;) {
    const eol = lineEnd(buf, at);
    let c = at;
    while (c < eol && TOKEN[buf[c]!] === 1) c++;
    if (c === at || buf[c] !== COLON) throw new HeadError('bad-request', c === at || c === eol ? 'header line without a name' : `invalid header name "${latin1(buf, at, Math.min(c + 1, at + 40))}"`);
    const kind = fieldKind(buf, at, c - at);
    if (kind !== PASS) {
      if (kind === HOP) cuts.push(at, eol + 2);
      else {
        const value = trimmed(buf, c + 1, eol);
        if (kind === CONTENT_LENGTH) {
          applyContentLength(head, value);
          lengths.push(at, eol + 2);
        } else {
          cuts.push(at, eol + 2);
          if (kind === TRANSFER_ENCODING) applyTransferEncoding(head, value);
          else head.connection = head.connection ? `${head.connection},${value.toLowerCase()}` : value.toLowerCase();
        }
      }
    }
    at = eol + 2;
  }
  // RFC 9112 §6.3: Transfer-Encoding wins over Content-Length in a response, and both must not be passed on.
  if (head.chunked) {
    head.contentLength = -1;
    if (lengths.length > 0) mergeCuts(cuts, lengths);
  } else if (lengths.length > 2) {
    // Equal duplicates were accepted above; RFC 9110 §8.6: passed on as one line (strict clients refuse two).
    mergeCuts(cuts, lengths.slice(2));
  }
  head.relayed = relayed(buf, head, statusEnd, last, cuts);
  return head;
}

const COLON = 58;
const PASS = 0;
const HOP = 1;
const CONTENT_LENGTH = 2;
const TRANSFER_ENCODING = 3;
const CONNECTION = 4;

/** tchar (RFC 9110 §5.6.2) by byte value. */
const TOKEN = new Uint8Array(256);
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[ch.charCodeAt(0)] = 1;

const KINDS = byLength<number>([
  ...HOP_BY_HOP_FIELDS.map((n) => [n, HOP] as const),
  ['content-length', CONTENT_LENGTH], ['transfer-encoding', TRANSFER_ENCODING], ['connection', CONNECTION],
]).map((list) => list?.map(([name, kind]) => [Buffer.from(name, 'latin1'), kind] as const));

/** The field's kind from its name's bytes (already checked to be token characters), no string made. */
function fieldKind(buf: Buffer, at: number, len: number): number {
  const candidates = KINDS[len];
  if (candidates === undefined) return PASS;
  for (let i = 0; i < candidates.length; i++) {
    const name = candidates[i]![0];
    let j = 0;
    // `| 0x20` lower-cases A-Z; the names hold only a-z and '-', which no other token byte folds onto.
    while (j < len && (buf[at + j]! | 0x20) === name[j]) j++;
    if (j === len) return candidates[i]![1];
  }
  return PASS;
}

/** Offset of the CR that ends the line starting at `from`; refuses control characters and a bare CR or LF. */
function lineEnd(buf: Buffer, from: number): number {
  for (let i = from; ; i++) {
    const b = buf[i]!;
    if (b === 13) {
      if (buf[i + 1] !== 10) throw new HeadError('bad-request', 'bare CR in a header');
      return i;
    }
    if (b < 32 ? b !== 9 : b === 127) throw new HeadError('bad-request', b === 10 ? 'bare LF in a header' : 'control character in head');
  }
}

/** "HTTP/1.x NNN reason": the version, a status of 100-999 and an optional reason. */
function statusLine(buf: Buffer, eol: number, head: ResponseHead): void {
  const ok = eol >= 12 && buf[0] === 0x48 && buf[1] === 0x54 && buf[2] === 0x54 && buf[3] === 0x50 && buf[4] === 0x2f && buf[5] === 0x31
    && buf[6] === 0x2e && (buf[7] === 0x30 || buf[7] === 0x31) && buf[8] === 0x20 && isDigit(buf[9]!, 0x31) && isDigit(buf[10]!, 0x30)
    && isDigit(buf[11]!, 0x30) && (eol === 12 || buf[12] === 0x20);
  if (!ok) throw new HeadError('bad-request', 'malformed status line');
  head.minor = buf[7]! - 0x30;
  head.status = (buf[9]! - 0x30) * 100 + (buf[10]! - 0x30) * 10 + (buf[11]! - 0x30);
  head.reason = eol > 13 ? latin1(buf, 13, eol) : '';
}

function isDigit(b: number, min: number): boolean {
  return b >= min && b <= 0x39;
}

/** A field value without its surrounding SP and HTAB (the only whitespace a field may have around it). */
function trimmed(buf: Buffer, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && (buf[a] === 32 || buf[a] === 9)) a++;
  while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--;
  return latin1(buf, a, b);
}

/** Merges two sorted lists of [start, end) line ranges into `into`. */
function mergeCuts(into: number[], more: number[]): void {
  into.push(...more);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < into.length; i += 2) pairs.push([into[i]!, into[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  into.length = 0;
  for (const [a, b] of pairs) into.push(a, b);
}

/** The client's head: the status line (copied when the instance spoke HTTP/1.1), then the runs between cut lines. */
function relayed(buf: Buffer, head: ResponseHead, statusEnd: number, last: number, cuts: number[]): string {
  // Names listed in Connection (rare): cut those lines too, found by name.
  if (head.connection !== '' && head.connection !== 'keep-alive' && head.connection !== 'close') cutListed(buf, head.connection, statusEnd + 2, last, cuts);
  let from = 0;
  let out = '';
  // A status line is copied as is only if it is already what the client gets: HTTP/1.1 with a space before the reason.
  if (head.minor !== 1 || statusEnd === 12) {
    out = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
    from = statusEnd + 2;
  }
  for (let i = 0; i < cuts.length; i += 2) {
    if (cuts[i]! > from) out += latin1(buf, from, cuts[i]!);
    from = cuts[i + 1]!;
  }
  return from < last ? out + latin1(buf, from, last) : out;
}

function isCut(cuts: number[], start: number): boolean {
  for (let i = 0; i < cuts.length; i += 2) if (cuts[i] === start) return true;
  return false;
}

function cutListed(buf: Buffer, connection: string, first: number, last: number, cuts: number[]): void {
  const listed = connectionListed(connection);
  if (listed.size === 0) return;
  const more: number[] = [];
  for (let at = first; at < last;) {
    const eol = buf.indexOf(13, at);
    const name = latin1(buf, at, buf.indexOf(COLON, at)).toLowerCase();
    if (listed.has(name) && !isCut(cuts, at)) more.push(at, eol + 2);
    at = eol + 2;
  }
  if (more.length > 0) mergeCuts(cuts, more);
}
