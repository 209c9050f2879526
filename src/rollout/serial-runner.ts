/**
 * Runs an async job one at a time. `kick()` asks for a run and resolves when a
 * run that started after the call has finished; kicks during a run coalesce
 * into one more run.
 */
export class SerialRunner {
  private busy = false;
  private dirty = false;
  private stopped = false;
  private waiters: (() => void)[] = [];
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.dirty = true;
      if (!this.busy) this.idle = this.pump();
    });
  }

  /** No more runs; resolves when the current one (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle;
    this.waiters.splice(0).forEach((w) => w());
  }

  private async pump(): Promise<void> {
    this.busy = true;
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      const waiting = this.waiters.splice(0);
      try {
        await this.job();
      } catch (err) {
        this.onError(err);
      }
      waiting.forEach((w) => w());
    }
    this.busy = false;
    if (this.stopped) this.waiters.splice(0).forEach((w) => w());
  }
}
