import { connect } from 'node:net';
import type { HealthCheckSpec } from './contract.ts';
import { hostForUrl, type Upstream } from './upstream.ts';
import type { RequestControl, ResponseHandler } from './http1/upstream-connection.ts';

/** Told whenever an instance's ejection changes, so queued requests can be dispatched. */
export type HealthListener = (u: Upstream) => void;

/**
 * Active HTTP checks for one instance: any 2xx counts as a pass. After
 * `unhealthyThreshold` failures in a row the instance is ejected; after
 * `healthyThreshold` passes in a row it is admitted again.
 */
export class ActiveHealthCheck {
  private timer: NodeJS.Timeout | undefined;
  private passes = 0;
  private failures = 0;
  private running = false;

  constructor(
    private readonly upstream: Upstream,
    readonly spec: HealthCheckSpec,
    private readonly onChange: HealthListener,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.spec.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const ok = await this.probe();
    this.running = false;
    this.record(ok);
  }

  private async probe(): Promise<boolean> {
    return probeHttp(this.upstream, this.spec.path, this.spec.timeoutMs);
  }

  private record(ok: boolean): void {
    const u = this.upstream;
    if (ok) {
      this.failures = 0;
      this.passes++;
      if (u.ejected && this.passes >= this.spec.healthyThreshold) {
        u.ejected = false;
        u.consecutive5xx = 0;
        this.onChange(u);
      }
    } else {
      this.passes = 0;
      this.failures++;
      if (!u.ejected && this.failures >= this.spec.unhealthyThreshold) {
        u.ejected = true;
        this.onChange(u);
      }
    }
  }
}

/**
 * Re-admission for instances ejected passively when no active check is set:
 * after `delayMs`, a TCP connect decides; on failure it tries again later.
 */
export function scheduleTcpReadmit(u: Upstream, delayMs: number, onChange: HealthListener, stillWanted: () => boolean): void {
  const t = setTimeout(() => {
    if (!u.ejected || !stillWanted()) return;
    const sock = connect({ host: u.host, port: u.port, timeout: Math.min(delayMs, 2000) });
    let fired = false;
    const done = (ok: boolean): void => {
      if (fired) return;
      fired = true;
      sock.destroy();
      if (ok) {
        u.ejected = false;
        u.consecutive5xx = 0;
        onChange(u);
      } else scheduleTcpReadmit(u, delayMs, onChange, stillWanted);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.once('timeout', () => done(false));
  }, delayMs);
  t.unref();
}

/** One GET over the instance's own pool (an idle traffic connection, or a new one: never queued behind traffic); any 2xx within the timeout passes. */
function probeHttp(u: Upstream, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let ctl: RequestControl | null = null;
    let status = 0;
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      resolve(ok);
    };
    const handler: ResponseHandler = {
      onConnect: (c) => { ctl = c; },
      onHeaders: (head) => { status = head.status; },
      onData: () => true,
      onFlush: () => {},
      onComplete: () => done(status >= 200 && status < 300),
      onError: () => done(false),
    };
    const timer = setTimeout(() => {
      if (ctl) ctl.abort(new Error('health check timed out'));
      else if (u.pool.cancel(handler)) done(false);
    }, timeoutMs);
    const head = `GET ${path} HTTP/1.1\r\nhost: ${hostForUrl(u.host)}:${u.port}\r\nuser-agent: cutover-health-check\r\n\r\n`;
    u.pool.dispatch({ head, body: null, streaming: false, headRequest: false, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs }, handler, true);
  });
}
