/**
 * The proxy's own short answers (400, 404, 502, 503, ...): a plain-text head
 * and body in one string, for a client connection or a socket taken over for
 * an Upgrade. Messages quote the request (host, path), so they are escaped to
 * printable ASCII: one byte per character, the declared length is the length
 * written whatever the encoding, and no request byte is echoed raw.
 */
import { STATUS_CODES } from 'node:http';

/** `headers`: extra header lines, each ending in CRLF (connection handling included). */
export function plainAnswer(status: number, message: string, headers: string): string {
  const body = `${printable(message)}\n`;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${headers}\r\n${body}`;
}

/** Characters outside printable ASCII as \xNN (or \uNNNN) escapes. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
