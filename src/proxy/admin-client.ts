import { Client } from 'undici';
import type { DrainResult, ListenerSpec, ServiceRoute, ServiceStats } from './types.ts';
import { ProxyRejectedError, ProxyUnreachableError } from './errors.ts';

export interface RoutesPayload {
  listeners: ListenerSpec[];
  services: ServiceRoute[];
}

/** Talks to a proxy process's admin API (see docs/proxy.md). Errors are ProxyUnreachableError or ProxyRejectedError. */
export class ProxyAdminClient {
  private readonly client: Client;
  private readonly url: string;
  private readonly auth: string;

  constructor(opts: { url: string; token: string }) {
    this.url = opts.url.replace(/\/+$/, '');
    this.auth = `Bearer ${opts.token}`;
    this.client = new Client(this.url, { keepAliveTimeout: 10_000 });
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

  async putRoutes(state: RoutesPayload): Promise<void> {
    await this.call('PUT', '/routes', 'the route table', state);
  }

  getRoutes(): Promise<RoutesPayload> {
    return this.call('GET', '/routes', 'reading routes') as Promise<RoutesPayload>;
  }

  async setReady(id: string, ready: boolean): Promise<void> {
    await this.call('PUT', `/instances/${encodeURIComponent(id)}/ready`, `readiness of "${id}"`, { ready });
  }

  /** Waits for the drain (up to timeoutMs plus a margin). */
  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    return this.call('POST', `/instances/${encodeURIComponent(id)}/drain`, `draining "${id}"`, { timeoutMs }, timeoutMs + 10_000) as Promise<DrainResult>;
  }

  stats(): Promise<ServiceStats[]> {
    return this.call('GET', '/stats', 'reading stats') as Promise<ServiceStats[]>;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Every admin call is safe to repeat (full-state PUT, set readiness, drain), so a stale keep-alive connection gets one retry. */
  private async call(method: 'GET' | 'PUT' | 'POST', path: string, what: string, body?: unknown, timeoutMs = 30_000): Promise<unknown> {
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
    const json = text ? safeJson(text) : undefined;
    if (res.statusCode >= 400) throw new ProxyRejectedError(what, res.statusCode, (json ?? { message: text }) as Record<string, string>);
    return json;
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
