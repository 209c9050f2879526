/**
 * Keeps what comparison needs of one answer (status, headers, body up to a limit, without transfer framing) as it
 * streams past. Bytes are copied: the upstream connection reads into a buffer it reuses.
 */
import type { ResponseHead } from '../http1/response-head.ts';
import type { Framing } from '../http1/upstream-connection.ts';
import { ChunkedScanner } from '../http1/chunked.ts';
import type { CapturedResponse } from './response-diff.ts';

export class ResponseCapture {
  private status = 0;
  private headers: [string, string][] = [];
  private readonly parts: Buffer[] = [];
  private size = 0;
  private truncated = false;
  private dechunk: ChunkedScanner | null = null;

  constructor(private readonly limitBytes: number) {}

  head(head: ResponseHead, framing: Framing): void {
    this.status = head.status;
    this.headers = headerList(head.relayed);
    if (framing === 'chunked') this.dechunk = new ChunkedScanner((c) => this.keep(c));
  }

  data(chunk: Buffer): void {
    if (this.truncated) return;
    if (this.dechunk !== null) this.dechunk.push(chunk);
    else this.keep(chunk);
  }

  result(): CapturedResponse {
    return { status: this.status, headers: this.headers, body: Buffer.concat(this.parts, this.size), truncated: this.truncated };
  }

  private keep(chunk: Buffer): void {
    const room = this.limitBytes - this.size;
    if (chunk.length > room) this.truncated = true;
    const take = Math.min(room, chunk.length);
    if (take <= 0) return;
    this.parts.push(Buffer.from(chunk.subarray(0, take)));
    this.size += take;
  }
}

/** The header lines of a relayed head (status line first), as lower-cased name and trimmed value. */
export function headerList(relayed: string): [string, string][] {
  const out: [string, string][] = [];
  const lines = relayed.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}
