/**
 * Whether a request whose attempt failed before any response byte may be sent to another instance. Hiding a failure
 * must never run a side effect twice: a request that may have reached the instance is sent again only if running it
 * twice has the effect of running it once.
 */
import type { UpstreamError } from './http1/upstream-error.ts';

export interface FailedAttempt {
  method: string;
  /** The whole body is held, so it can be sent again. */
  replayable: boolean;
  /** Some of a streamed body was already handed on to the instance. */
  bodyTouched: boolean;
  /** The service opted in to repeating any method (`retry.nonIdempotent`). */
  nonIdempotent: boolean;
}

/**
 * Nothing reached the instance (connect failed, or a pooled connection had closed before the write): any request may
 * go elsewhere, a streamed one too while no more of its body than the kept first bytes was read. Otherwise the
 * instance may have acted on it: only a whole request of an idempotent method is sent again (any method, with
 * `nonIdempotent`). Either way only failures before the response (`retryableBeforeResponse`).
 */
export function mayRetry(err: UpstreamError, a: FailedAttempt): boolean {
  const again = err.notSent ? a.replayable || !a.bodyTouched : a.replayable && (idempotent(a.method) || a.nonIdempotent);
  return again && err.retryableBeforeResponse;
}

/** RFC 9110 §9.2.2: repeating an idempotent request has the effect of sending it once. */
export function idempotent(method: string): boolean {
  switch (method) {
    case 'GET': case 'HEAD': case 'OPTIONS': case 'TRACE': case 'PUT': case 'DELETE':
      return true;
    default:
      return false;
  }
}
