// A raw HTTP/1.1 client for proxy tests that need exact bytes on the wire:
// writes what it is given and parses responses framed by Content-Length,
// chunked encoding or the connection closing.
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  header(name: string): string | undefined;
  all(name: string): string[];
}

/** A client socket that writes exact bytes and parses exact responses (Content-Length, chunked or close-delimited). */
export class RawClient {
  closed = false;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.poke(); });
    socket.on('close', () => { this.closed = true; this.poke(); });
    socket.on('error', () => undefined); // writes after the proxy closed (EPIPE/ECONNRESET) are expected in some tests
  }

  /** `localAddress`: another loopback address (127.0.0.2, ...) to look like a second client. */
  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(data: string | Buffer): void { this.socket.write(data); }
  destroy(): void { this.socket.destroy(); }
  buffered(): number { return this.buf.length; }

  async waitClosed(): Promise<void> {
    while (!this.closed) await this.more();
  }

  /** Reads and consumes only the status line and headers. */
  async readHead(): Promise<RawResponse> {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const r = parseHead(this.buf.subarray(0, end).toString('latin1'));
        this.buf = this.buf.subarray(end + 4);
        return r;
      }
      if (this.closed) throw new Error(`connection closed before a response head; got ${JSON.stringify(this.buf.toString('latin1'))}`);
      await this.more();
    }
  }

  /** Reads one whole response; `head` marks the answer to a HEAD request (no body whatever the headers say). */
  async read(opts: { head?: boolean } = {}): Promise<RawResponse> {
    const r = await this.readHead();
    if (opts.head || r.status === 204 || r.status === 304) return r;
    const te = r.header('transfer-encoding');
    const cl = r.header('content-length');
    for (;;) {
      const taken = te ? dechunk(this.buf) : cl !== undefined ? (this.buf.length >= Number(cl) ? { body: this.buf.subarray(0, Number(cl)), used: Number(cl) } : null) : null;
      if (taken) {
        r.body = Buffer.from(taken.body);
        this.buf = this.buf.subarray(taken.used);
        return r;
      }
      if (this.closed) {
        if (te || cl !== undefined) throw new Error(`connection closed mid-body after ${this.buf.length} bytes`);
        r.body = this.buf;
        this.buf = Buffer.alloc(0);
        return r;
      }
      await this.more();
    }
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Waits for more bytes or the close, bounded so a broken proxy fails the test instead of hanging it. */
  private more(): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no bytes for 10 s; buffered: ${this.buf.toString('latin1', 0, 200)}`)), 10_000);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }
}

function parseHead(text: string): RawResponse {
  const [line, ...rest] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(line!);
  if (!m) throw new Error(`bad status line: ${JSON.stringify(line)}`);
  const headers = rest.map((h): [string, string] => {
    const i = h.indexOf(':');
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
  });
  const all = (name: string): string[] => headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  return { status: Number(m[1]), headers, body: Buffer.alloc(0), all, header: (name) => all(name)[0] };
}

/** De-frames a complete chunked body from the start of buf, or null when more bytes are needed. */
function dechunk(buf: Buffer): { body: Buffer; used: number } | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(buf.toString('latin1', at, eol).split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line at ${at}`);
    if (size === 0) {
      // Without trailers the blank line follows the size line directly, so this finds it at eol.
      const end = buf.indexOf('\r\n\r\n', eol);
      return end < 0 ? null : { body: Buffer.concat(parts), used: end + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
