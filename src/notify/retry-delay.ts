/**
 * The wait before the next attempt: exponential (initial × 2^(failed attempts − 1), capped at max), the runtime's
 * own restart arithmetic, with "equal jitter" (half fixed, half random) so hooks that failed together do not retry
 * in lockstep. A receiver's Retry-After (seconds) lengthens the wait, never beyond max.
 *
 * @example
 * retryDelay(1, { initial: 1000, max: 300_000 }, () => 0)   // 500
 * retryDelay(3, { initial: 1000, max: 300_000 }, () => 1)   // 4000
 */
import { backoffDelay, DEFAULT_RESTART_POLICY } from '../runtime/backoff.ts';

export interface Backoff {
  /** ms */
  initial: number;
  /** ms */
  max: number;
}

export function retryDelay(failedAttempts: number, b: Backoff, random: () => number = Math.random, retryAfterMs?: number): number {
  const full = backoffDelay(failedAttempts - 1, { ...DEFAULT_RESTART_POLICY, initialDelayMs: b.initial, maxDelayMs: b.max, factor: 2 });
  const jittered = Math.round(full / 2 + random() * (full / 2));
  return retryAfterMs === undefined ? jittered : Math.min(b.max, Math.max(jittered, retryAfterMs));
}
