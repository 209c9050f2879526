/**
 * Free TCP ports for new instances. The kernel picks one (listen on port 0),
 * we close it and hand it to the instance. A port handed out recently is not
 * handed out again for a while, so two instances started at the same moment
 * never race for the same port.
 */
import { createServer } from 'node:net';
import { PortUnavailableError } from '../errors.ts';

const RECENT_MS = 60_000;
const ATTEMPTS = 20;
const recent = new Map<number, number>();

/** Returns a TCP port on `host` that was free a moment ago and not handed out in the last minute. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  forgetOld(Date.now());
  let lastError: unknown;
  for (let i = 0; i < ATTEMPTS; i++) {
    try {
      const port = await kernelPort(host);
      if (recent.has(port)) continue;
      recent.set(port, Date.now());
      return port;
    } catch (err) {
      lastError = err;
    }
  }
  throw new PortUnavailableError(host, lastError);
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('listen gave no port'))));
    });
  });
}

function forgetOld(now: number): void {
  for (const [port, at] of recent) if (now - at > RECENT_MS) recent.delete(port);
}
