/**
 * The one way tests wait: poll a check until it returns something truthy (which is returned), or fail after the
 * timeout with the label and, when given, context that says what the world looked like.
 */
export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /** Appended to the timeout error (a status, a process's output). */
  context?: () => string;
  /** A check that throws counts as "not yet" (a server still starting) instead of failing the wait. */
  ignoreErrors?: boolean;
}

export async function waitFor<T>(check: () => T | Promise<T>, label: string, opts: WaitOptions | number = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, everyMs = 20, context, ignoreErrors = false } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = ignoreErrors ? await Promise.resolve().then(check).catch(() => undefined) : await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}${context ? `\n${context()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
