/** The instance could not be reached at all: nothing was sent, so any request may go elsewhere. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UPSTREAM_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
/** A kept-alive connection had closed before the request was written to it: nothing was sent either. */
export const STALE = 'UPSTREAM_STALE';
/** The connection broke before any response byte: safe to retry a replayable request of an idempotent method. */
const RESET_BEFORE_RESPONSE = new Set(['ECONNRESET', 'EPIPE', STALE]);

/**
 * Why a request to an instance failed. Codes are the socket's own errno
 * names, or UPSTREAM_* for what the proxy decided (timeouts, a response it
 * cannot parse, an abort).
 */
export class UpstreamError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }

  get connectFailure(): boolean {
    return CONNECT_FAILURES.has(this.code);
  }

  /** No byte of the request reached the instance: whatever the method, sending it elsewhere cannot repeat it. */
  get notSent(): boolean {
    return this.code === STALE || CONNECT_FAILURES.has(this.code);
  }

  /** Retryable when no response byte has arrived (the connection sees to that: a reset after bytes is not mapped here). */
  get retryableBeforeResponse(): boolean {
    return CONNECT_FAILURES.has(this.code) || RESET_BEFORE_RESPONSE.has(this.code);
  }

  get responseTimeout(): boolean {
    return this.code === 'UPSTREAM_HEADERS_TIMEOUT';
  }
}
