/**
 * Free TCP ports for new instances. Ports are drawn at random from a range
 * below the kernel's ephemeral range (default 20000..32767 when that range
 * starts at 32768): the ephemeral range is where outgoing connections (the
 * proxy's upstream sockets, say) and every `listen(0)` take their ports, so a
 * port picked there could be taken again between our check and the
 * instance's listen(). A candidate counts when we can bind it; a port handed
 * out recently is not handed out again for a while, so instances started at
 * the same moment never race for one port.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PortUnavailableError } from '../errors.ts';

export interface PortRange {
  min: number;
  max: number;
}

const RECENT_MS = 60_000;
const ATTEMPTS = 50;
const recent = new Map<number, number>();

/** The 12768 ports just below the ephemeral range (20000..32767 on a default Linux). */
export function defaultPortRange(): PortRange {
  const low = ephemeralLow();
  return { min: Math.max(1024, low - 12_768), max: low - 1 };
}

/** Returns a TCP port on `host` that was free a moment ago and not handed out in the last minute. */
export async function freePort(host = '127.0.0.1', range: PortRange = defaultPortRange()): Promise<number> {
  forgetOld(Date.now());
  let lastError: unknown;
  for (let i = 0; i < ATTEMPTS; i++) {
    const candidate = range.max > range.min ? range.min + Math.floor(Math.random() * (range.max - range.min + 1)) : 0;
    if (recent.has(candidate)) continue;
    try {
      const port = await bindable(host, candidate);
      if (recent.has(port)) continue;
      recent.set(port, Date.now());
      return port;
    } catch (err) {
      lastError = err;
    }
  }
  throw new PortUnavailableError(host, lastError);
}

function bindable(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port, host }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (got ? resolve(got) : reject(new Error('listen gave no port'))));
    });
  });
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32_768;
  } catch {
    return 32_768; // macOS and others: 49152 upwards, so 20000..32767 is outside it too
  }
}

function forgetOld(now: number): void {
  for (const [port, at] of recent) if (now - at > RECENT_MS) recent.delete(port);
}
