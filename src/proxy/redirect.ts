/**
 * The answer of a plain-HTTP listener that only redirects to HTTPS
 * (`redirectToHttps`, cutover.yaml's `tls.redirectHttp`): where to. No route
 * table, no instance: the host the client asked for, the HTTPS port, the same
 * path and query. 308 keeps the method and body (a POST stays a POST).
 */
import { headerValue } from './headers.ts';
import type { RequestHead } from './http1/head-parser.ts';

/** A host name or an IPv4 address, or an IPv6 literal in brackets; nothing that could end the URL's authority early. */
const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])$/i;

/** `https://<host>[:port]<target>`, or null when the request names no usable host or is not origin-form. */
export function httpsLocation(head: RequestHead, port: number): string | null {
  const host = headerValue(head.headers, 'host');
  if (host === undefined || head.target.charCodeAt(0) !== 47 /* / */) return null;
  const hostname = withoutPort(host.trim());
  if (!HOSTNAME.test(hostname)) return null;
  return `https://${hostname.toLowerCase()}${port === 443 ? '' : `:${port}`}${head.target}`;
}

function withoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const c = host.indexOf(':');
  return c < 0 ? host : host.slice(0, c);
}
