import type { Logger } from '../shared/log.ts';

/** Limits, timeouts and tuning of the data plane. Every field has a default (see DEFAULT_PROXY_OPTIONS). */
export interface ProxyOptions {
  /** Largest request head (request line + headers) accepted; bigger gets 431. */
  maxHeaderBytes: number;
  /** Largest request body accepted; bigger gets 413. */
  maxBodyBytes: number;
  /**
   * Request bodies are read before an instance is picked: whole up to this size (so the request can be retried on
   * another instance), else this many of their first bytes, the rest streamed. 0: streamed from the first byte.
   */
  retryBufferBytes: number;
  /** Time a client has to send the full request head (slowloris guard). */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request. */
  requestTimeoutMs: number;
  /** Idle client keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** A client that takes no response bytes for this long while some wait for it is disconnected. */
  sendTimeoutMs: number;
  /** Bytes/s a request body must average once it has taken longer than headersTimeoutMs (+1 s per minBodyRate bytes); slower: 408. 0 = off. */
  minBodyRate: number;
  /** Open connections per client address; more are answered 429 and closed. 0 = no limit. */
  maxConnectionsPerClient: number;
  /** Requests per client address on instances (or waiting for one) at once; more get 429. 0 = no limit. */
  maxRequestsPerClient: number;
  /** Upstream TCP connect timeout; a timeout counts as a connect failure (retried, then 502). */
  connectTimeoutMs: number;
  /** Time the upstream has to send response headers; then 504. */
  responseTimeoutMs: number;
  /** Upstream response body idle timeout. */
  bodyIdleTimeoutMs: number;
  /** How long a request waits for a ready instance before 503. */
  queueTimeoutMs: number;
  /** Most requests held waiting for a ready instance, per proxy; more get 503 at once. */
  maxQueue: number;
  /** Attempts per request on connect failure / reset before the first response byte. */
  maxAttempts: number;
  /** Consecutive 5xx answers that eject an instance (passive health). 0 disables. */
  eject5xx: number;
  /** How long a passively ejected instance without active checks waits before a TCP probe re-admits it. */
  ejectionMs: number;
  /** Max upstream connections per instance. */
  connectionsPerInstance: number;
  /** How often TLS cert/key files are checked for changes. */
  tlsWatchMs: number;
  logger?: Logger;
}

export const DEFAULT_PROXY_OPTIONS: Readonly<ProxyOptions> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  retryBufferBytes: 64 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  sendTimeoutMs: 60_000,
  minBodyRate: 1024,
  maxConnectionsPerClient: 1024,
  maxRequestsPerClient: 128,
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 60_000,
  bodyIdleTimeoutMs: 300_000,
  queueTimeoutMs: 5_000,
  maxQueue: 1_000,
  maxAttempts: 3,
  eject5xx: 5,
  ejectionMs: 5_000,
  connectionsPerInstance: 256,
  tlsWatchMs: 1_000,
});

export function resolveOptions(partial: Partial<ProxyOptions> = {}): ProxyOptions {
  const out: ProxyOptions = { ...DEFAULT_PROXY_OPTIONS };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}
