import { requestId as newRequestId } from './request-id.ts';
import type { RequestHead } from './http1/head-parser.ts';
import { byLength, connectionListed, HOP_BY_HOP_FIELDS } from './http1/hop-by-hop.ts';

/** The request as it goes upstream: forwarded headers, and what routing needs from the head. */
export interface ForwardedHead {
  /** Headers to send upstream, flat [name, value, ...], hop-by-hop removed, X-Forwarded-* and X-Request-Id set. */
  headers: string[];
  hostname: string;
  requestId: string;
}

/**
 * One pass over the client's headers produces the upstream header list. The client's own X-Forwarded-For/-Proto/-Host
 * are kept only when `trusted` (behind a proxy that set them); otherwise they are replaced, never passed on.
 */
export function forwardHead(req: RequestHead, remote: string, proto: string, trusted: boolean): ForwardedHead {
  const raw = req.headers;
  const out: string[] = [];
  let host = '';
  let xff = '';
  let rid = '';
  let xfproto = '';
  let xfhost = '';
  let connection = '';
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const kind = classify(name);
    if (kind === PASS) {
      out.push(name, value);
      continue;
    }
    switch (kind) {
      case HOST: host = value; out.push(name, value); break;
      case XFF: xff = xff ? `${xff}, ${value}` : value; break;
      case XRID: rid = value; break;
      case XFPROTO: xfproto = value; break;
      case XFHOST: xfhost = value; break;
      case CONNECTION: connection = connection ? `${connection},${value}` : value; break;
      case CONTENT_LENGTH:
        // One line, whatever the client repeated (equal values only: the parser refused others), without leading zeros.
        if (!length) out.push(name, value.length > 1 && value.charCodeAt(0) === 48 ? String(req.contentLength) : value);
        length = true;
        break;
      default: break; // hop-by-hop, Transfer-Encoding (the upstream head sets its own) or Expect: dropped
    }
  }
  if (connection) dropConnectionListed(out, connection);
  const requestId = rid || newRequestId();
  out.push(
    'x-forwarded-for', trusted && xff ? `${xff}, ${remote}` : remote,
    'x-forwarded-proto', (trusted && xfproto) || proto,
    'x-forwarded-host', (trusted && xfhost) || host,
    'x-request-id', requestId,
  );
  return { headers: out, hostname: stripPort(host), requestId };
}

/** The upstream request head on the wire: request line, forwarded headers, framing (`chunked`, the only request coding accepted, or none), blank line. */
export function upstreamHead(method: string, target: string, headers: string[], transferEncoding: string): string {
  let s = `${method} ${target} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return transferEncoding ? `${s}transfer-encoding: ${transferEncoding}\r\n\r\n` : `${s}\r\n`;
}

/** The value of one request header (names compared case-insensitively; repeated ones joined, cookies with "; "). */
export function headerValue(raw: string[], name: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length !== name.length || n.toLowerCase() !== name) continue;
    v = v === undefined ? raw[i + 1]! : `${v}${name === 'cookie' ? '; ' : ', '}${raw[i + 1]}`;
  }
  return v;
}

const PASS = 0;
const HOP = 1;
const HOST = 2;
const CONNECTION = 3;
const CONTENT_LENGTH = 4;
const TRANSFER_ENCODING = 5;
const XFF = 6;
const XRID = 7;
const XFPROTO = 8;
const XFHOST = 9;

const KINDS = byLength<number>([
  ...HOP_BY_HOP_FIELDS.map((n) => [n, HOP] as const),
  ['host', HOST], ['connection', CONNECTION], ['content-length', CONTENT_LENGTH], ['transfer-encoding', TRANSFER_ENCODING],
  ['x-forwarded-for', XFF], ['x-request-id', XRID], ['x-forwarded-proto', XFPROTO], ['x-forwarded-host', XFHOST],
]);

/** Length first so most headers are classified without lower-casing (no string allocation). */
function classify(name: string): number {
  const candidates = KINDS[name.length];
  if (candidates === undefined) return PASS;
  const n = name.toLowerCase();
  for (let i = 0; i < candidates.length; i++) if (candidates[i]![0] === n) return candidates[i]![1];
  return PASS;
}

/** Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1). */
function dropConnectionListed(out: string[], connection: string): void {
  const listed = connectionListed(connection);
  if (listed.size === 0) return;
  for (let i = out.length - 2; i >= 0; i -= 2) if (listed.has(out[i]!.toLowerCase())) out.splice(i, 2);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1).toLowerCase();
  }
  const c = host.indexOf(':');
  return (c < 0 ? host : host.slice(0, c)).toLowerCase();
}

/** Reads one cookie value from a Cookie header without building a map. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
