/**
 * A steady load for deploy-under-load tests: `clients` keep-alive loops each
 * sending GET / back to back, plus a loop of long requests (GET /slow?ms=...)
 * that are in flight while instances drain, and optionally loops of POST /
 * (which the proxy never retries once sent: they pass only if no instance
 * dies under them). Every failure is kept with its reason, and every version
 * seen is counted. An https:// url is loaded over TLS with the same
 * keep-alive connections (`tls` says which CA to trust).
 */
import { Agent, request } from 'undici';

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  failures: string[];
  versions: Record<string, number>;
  slowOk: number;
  slowSent: number;
  /** Latency in ms of every fast (non-slow) request that succeeded, in completion order. */
  latencies: number[];
  /** Requests served per instance process id (the example app reports its pid). */
  pids: Record<number, number>;
}

export interface LoadOptions {
  url: string;
  clients?: number;
  slowClients?: number;
  slowMs?: number;
  /** Pause between requests of one client, to keep the machine responsive. */
  gapMs?: number;
  /** Loops sending POST / with a small body (not idempotent: never retried by the proxy once sent). */
  postClients?: number;
  headers?: Record<string, string>;
  /** The path of each fast request (default "/"). */
  path?: () => string;
  /** For an https:// url: the CA to verify the proxy's certificate with, and the server name to ask for (SNI). */
  tls?: { ca: string | Buffer; servername?: string };
  /** Reads the version (and pid, if the app reports one) from a 200 body; default: the example app's JSON. */
  parse?: (body: string) => { version: string; pid?: number };
}

const parseJson = (body: string) => JSON.parse(body) as { version: string; pid?: number };

export class LoadGenerator {
  readonly report: LoadReport = { sent: 0, ok: 0, failed: 0, failures: [], versions: {}, slowOk: 0, slowSent: 0, latencies: [], pids: {} };
  private running = true;
  /** Bumped by resetCounts(): a request counts toward versions/pids only if it started after the last reset. */
  private generation = 0;
  private readonly loops: Promise<void>[] = [];
  // Bounded: a request that hangs fails the test instead of hanging it.
  private readonly agent: Agent;

  constructor(private readonly opts: LoadOptions) {
    const fast = opts.path ?? (() => '/');
    const slow = `/slow?ms=${opts.slowMs ?? 2000}`;
    const tls = opts.tls ? { connect: { ca: opts.tls.ca, ...(opts.tls.servername ? { servername: opts.tls.servername } : {}) } } : {};
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 64, headersTimeout: 20_000, bodyTimeout: 20_000, ...tls });
    for (let i = 0; i < (opts.clients ?? 4); i++) this.loops.push(this.loop(fast, false));
    for (let i = 0; i < (opts.slowClients ?? 1); i++) this.loops.push(this.loop(() => slow, true));
    for (let i = 0; i < (opts.postClients ?? 0); i++) this.loops.push(this.loop(() => '/', false, 'POST'));
  }

  private async loop(next: () => string, slow: boolean, method: 'GET' | 'POST' = 'GET'): Promise<void> {
    while (this.running) {
      this.report.sent++;
      if (slow) this.report.slowSent++;
      const t0 = performance.now();
      const gen = this.generation;
      const path = next();
      try {
        const res = await request(this.opts.url + path, { dispatcher: this.agent, headers: this.opts.headers, method, ...(method === 'POST' ? { body: 'amount=100' } : {}) });
        const body = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${body.slice(0, 200)}`);
        const { version, pid } = (this.opts.parse ?? parseJson)(body);
        if (gen === this.generation && pid !== undefined) this.report.pids[pid] = (this.report.pids[pid] ?? 0) + 1;
        if (gen === this.generation) this.report.versions[version] = (this.report.versions[version] ?? 0) + 1;
        this.report.ok++;
        if (slow) this.report.slowOk++;
        else this.report.latencies.push(performance.now() - t0);
      } catch (err) {
        this.report.failed++;
        if (this.report.failures.length < 20) this.report.failures.push(`${method} ${path}: ${(err as Error).message}`);
      }
      if (this.opts.gapMs) await new Promise((r) => setTimeout(r, this.opts.gapMs));
    }
  }

  /**
   * Starts counting versions and pids afresh, from requests that start now:
   * a long request begun earlier may still finish on an old, draining
   * instance, which is what drain promises, not a routing error.
   */
  resetCounts(): void {
    this.generation++;
    this.report.versions = {};
    this.report.pids = {};
  }

  /** Takes the latencies recorded so far and starts a new series (to compare phases of one run). */
  takeLatencies(): number[] {
    const out = this.report.latencies;
    this.report.latencies = [];
    return out;
  }

  /** Stops sending, waits for every request in flight, and returns the report. */
  async stop(): Promise<LoadReport> {
    this.running = false;
    await Promise.all(this.loops);
    await this.agent.close();
    return this.report;
  }
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
