/**
 * Runs one kind of probe again and again for one instance: the next attempt
 * is scheduled only after the previous one finished, so slow probes never
 * pile up. stop() is final; a result arriving after it is dropped.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly attempt: () => Promise<boolean>,
    private readonly onResult: (ok: boolean) => void,
    private readonly nextDelayMs: () => number,
  ) {}

  start(firstDelayMs: number): this {
    this.schedule(firstDelayMs);
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    const ok = await this.attempt().catch(() => false);
    if (this.stopped) return;
    this.onResult(ok);
    this.schedule(this.nextDelayMs());
  }
}
