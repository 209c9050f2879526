/**
 * Restart arithmetic, pure so it can be table-tested: how long to wait before
 * restarting a failed instance, and when repeated failures are a crash loop.
 *
 * A "streak" counts failures since the instance last stayed ready for
 * `stableAfterMs`. Failure number n of a streak (n = 0, 1, 2...) waits
 * `initialDelayMs * factor^n`, capped at `maxDelayMs`. When the streak already
 * holds `crashLoopAfter` failures (that many restarts that never became stable),
 * the next failure is a crash loop.
 *
 * @example
 * decideRestart(0, undefined, 0, DEFAULT_RESTART_POLICY) // { streak: 1, delayMs: 250, crashLoop: false, giveUp: false }
 * decideRestart(3, undefined, 0, DEFAULT_RESTART_POLICY) // { streak: 4, delayMs: 2000, crashLoop: true, giveUp: true }
 */

export interface RestartPolicy {
  /** Wait before the first restart of a streak. */
  initialDelayMs: number;
  /** Longest wait between restarts. */
  maxDelayMs: number;
  /** Each further failure in a streak multiplies the wait by this. */
  factor: number;
  /** Ready this long without interruption: the streak (and so the backoff) starts over. */
  stableAfterMs: number;
  /** Restarts allowed in one streak; the next failure is a crash loop. */
  crashLoopAfter: number;
  /** On a crash loop, stop restarting and mark the instance failed (true) or keep restarting at the backoff (false). */
  giveUpOnCrashLoop: boolean;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  stableAfterMs: 10_000,
  crashLoopAfter: 3,
  giveUpOnCrashLoop: true,
};

export interface RestartDecision {
  /** The streak including this failure. */
  streak: number;
  delayMs: number;
  crashLoop: boolean;
  /** Do not restart: crash loop and the policy gives up. */
  giveUp: boolean;
}

/** Wait before restart for failure number `streak` (0-based) of a streak. */
export function backoffDelay(streak: number, p: RestartPolicy): number {
  const raw = p.initialDelayMs * Math.pow(p.factor, Math.max(0, streak));
  return Math.min(p.maxDelayMs, Math.round(raw));
}

/** True when an instance ready since `readySince` has been ready long enough to reset its streak. */
export function isStable(readySince: number | undefined, now: number, p: RestartPolicy): boolean {
  return readySince !== undefined && now - readySince >= p.stableAfterMs;
}

/** What to do about a failure (crash or liveness) given the streak so far. */
export function decideRestart(streak: number, readySince: number | undefined, now: number, p: RestartPolicy): RestartDecision {
  const base = isStable(readySince, now, p) ? 0 : streak;
  const crashLoop = base >= p.crashLoopAfter;
  return { streak: base + 1, delayMs: backoffDelay(base, p), crashLoop, giveUp: crashLoop && p.giveUpOnCrashLoop };
}
