/** Something with deadlines: checked on each sweep instead of owning a timer. */
export interface Sweepable {
  sweep(now: number): void;
}

/**
 * One interval timer for every connection's timeouts (slow clients, idle
 * keep-alive, silent upstreams), like node:http's connectionsCheckingInterval:
 * a request costs a timestamp, not a timer. Deadlines fire up to one interval
 * late, so the interval is a quarter of the shortest timeout it serves.
 */
export class Sweeper {
  private readonly items = new Set<Sweepable>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs: number) {}

  add(item: Sweepable): void {
    this.items.add(item);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  delete(item: Sweepable): void {
    this.items.delete(item);
    if (this.items.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = performance.now();
    for (const item of [...this.items]) item.sweep(now);
  }
}

/** A quarter of the shortest timeout, between 25 ms and 1 s. */
export function sweepInterval(...timeoutsMs: number[]): number {
  return Math.max(25, Math.min(1000, Math.floor(Math.min(...timeoutsMs) / 4)));
}
