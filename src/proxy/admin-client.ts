import { Client } from 'undici';
import type { z } from 'zod';
import { certificatesSchema, drainResultSchema, routesStateSchema, statsSchema, type CertificateInfo, type DrainResult, type RoutesState, type ServiceStats } from './contract.ts';
import { ProxyRejectedError, ProxyUnreachableError } from './errors.ts';

/**
 * Talks to a proxy process's admin API (see docs/proxy.md); its methods are the controller's TrafficRouter. Answers
 * are validated against the contract, so a proxy of another version fails loudly here instead of deep in a caller.
 * Errors are ProxyUnreachableError or ProxyRejectedError.
 */
export class ProxyAdminClient {
  private readonly client: Client;
  private readonly url: string;
  private readonly auth: string;

  /** `ca`: the one certificate an https:// admin API may present (a host proxy's own, pinned). */
  constructor(opts: { url: string; token: string; ca?: string }) {
    this.url = opts.url.replace(/\/+$/, '');
    this.auth = `Bearer ${opts.token}`;
    this.client = new Client(this.url, { keepAliveTimeout: 10_000, ...(opts.ca ? { connect: { ca: opts.ca } } : {}) });
  }

  /** True when the proxy answers /healthz; never throws. */
  async health(): Promise<boolean> {
    try {
      const res = await this.client.request({ path: '/healthz', method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Replaces the proxy's whole desired state. */
  async apply(state: RoutesState): Promise<void> {
    await this.call('PUT', '/routes', 'the route table', state);
  }

  /** The table the proxy serves now. */
  async routes(): Promise<RoutesState> {
    return this.answer(routesStateSchema, 'reading routes', await this.call('GET', '/routes', 'reading routes'));
  }

  async setReady(id: string, ready: boolean): Promise<void> {
    await this.call('PUT', `/instances/${encodeURIComponent(id)}/ready`, `readiness of "${id}"`, { ready });
  }

  /** Waits for the drain (up to timeoutMs plus a margin). */
  async drain(id: string, timeoutMs: number): Promise<DrainResult> {
    const what = `draining "${id}"`;
    return this.answer(drainResultSchema, what, await this.call('POST', `/instances/${encodeURIComponent(id)}/drain`, what, { timeoutMs }, timeoutMs + 10_000));
  }

  async stats(): Promise<ServiceStats[]> {
    return this.answer(statsSchema, 'reading stats', await this.call('GET', '/stats', 'reading stats'));
  }

  /** The proxy's Prometheus text exposition. */
  async metricsText(): Promise<string> {
    return this.send('GET', '/metrics', 'reading metrics');
  }

  /** The certificates the proxy's HTTPS listeners serve now (subject, names, expiry; never key material). */
  async certificates(): Promise<CertificateInfo[]> {
    return this.answer(certificatesSchema, 'reading certificates', await this.call('GET', '/certificates', 'reading certificates'));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Every admin call is safe to repeat (full-state PUT, set readiness, drain), so a stale keep-alive connection gets one retry. */
  private async call(method: 'GET' | 'PUT' | 'POST', path: string, what: string, body?: unknown, timeoutMs = 30_000): Promise<unknown> {
    const text = await this.send(method, path, what, body, timeoutMs);
    return text ? safeJson(text) : undefined;
  }

  /** The answer's body text; an error status is a ProxyRejectedError carrying the proxy's JSON error. */
  private async send(method: 'GET' | 'PUT' | 'POST', path: string, what: string, body?: unknown, timeoutMs = 30_000): Promise<string> {
    let res;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await this.client.request({
          path,
          method,
          headers: { authorization: this.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        break;
      } catch (err) {
        if (attempt === 1 && STALE_CONNECTION.has(String((err as NodeJS.ErrnoException).code))) continue;
        throw new ProxyUnreachableError(this.url, err);
      }
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new ProxyRejectedError(what, res.statusCode, (text ? safeJson(text) : { message: text }) as Record<string, string>);
    return text;
  }

  private answer<T>(schema: z.ZodType<T>, what: string, body: unknown): T {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const i = r.error.issues[0]!;
    throw new ProxyRejectedError(what, 502, { message: `unexpected answer: ${i.path.join('.') || '(body)'}: ${i.message}` });
  }
}

const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
