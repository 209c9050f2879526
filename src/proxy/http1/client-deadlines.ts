/**
 * The deadlines of a client connection, checked by the sweeper: a client that reads nothing of its answer, an idle
 * keep-alive connection, a slow request head, a slow or trickling request body. Time the proxy itself holds a body
 * back (`heldSince` set) does not count against the client. Pure.
 */
import type { ConnectionState } from './client-connection.ts';
import type { ClientLimits } from './connection-owner.ts';

export interface ConnectionTimes {
  state: ConnectionState;
  /** When the current phase (idle, head, request) started; moved forward by time the proxy held the body. */
  since: number;
  /** When a write to the client last found its socket full, or -1. */
  blockedSince: number;
  /** When the proxy paused reading the body, or -1. */
  heldSince: number;
  bodyDone: boolean;
  /** Body bytes received so far. */
  received: number;
}

/** What to do now: disconnect, close quietly, answer 408 with the reason, or nothing (null). */
export function overdue(t: ConnectionTimes, o: ClientLimits, now: number): 'destroy' | 'close' | { timeout: string } | null {
  if (t.blockedSince >= 0 && now - t.blockedSince > o.sendTimeoutMs) return 'destroy';
  const elapsed = now - t.since;
  if (t.state === 'idle') return elapsed > o.keepAliveTimeoutMs ? 'close' : null;
  if (t.state === 'head') return elapsed > o.headersTimeoutMs ? { timeout: `request head not received within ${o.headersTimeoutMs} ms` } : null;
  if (t.state !== 'active' || t.bodyDone || t.heldSince >= 0) return null;
  if (elapsed > o.requestTimeoutMs) return { timeout: `request body not received within ${o.requestTimeoutMs} ms` };
  if (o.minBodyRate > 0 && elapsed > o.headersTimeoutMs + (t.received * 1000) / o.minBodyRate) return { timeout: `request body slower than ${o.minBodyRate} bytes/s` };
  return null;
}
