/**
 * One health probe attempt against an instance: HTTP GET of a path (any 2xx
 * passes) or, without a path, a TCP connect. Each attempt uses its own
 * connection and closes it, so probing never leaks sockets or keeps an
 * instance's keep-alive pool busy.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

export interface ProbeTarget {
  host: string;
  port: number;
  /** HTTP path; when missing, a TCP connect decides. */
  path?: string;
  timeoutMs: number;
}

export function probeOnce(t: ProbeTarget): Promise<boolean> {
  return t.path === undefined ? tcpProbe(t) : httpProbe(t, t.path);
}

function httpProbe(t: ProbeTarget, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const req = request(
      { host: t.host, port: t.port, path, method: 'GET', agent: false, headers: { connection: 'close', 'user-agent': 'cutover-probe' } },
      (res) => {
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        res.on('error', () => finish(false));
        res.on('end', () => finish(ok));
        res.resume();
      },
    );
    const timer = setTimeout(() => finish(false), t.timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

function tcpProbe(t: ProbeTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: t.host, port: t.port });
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), t.timeoutMs);
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}
