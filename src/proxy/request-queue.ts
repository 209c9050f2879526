import type { Exchange } from './exchange.ts';
import type { CompiledTable } from './route-table.ts';

/**
 * Requests waiting for a ready instance. Bounded; each entry leaves when an
 * instance becomes available (kick) or at its deadline with a 503.
 */
export class RequestQueue {
  private readonly waiting = new Set<Exchange>();

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  add(ex: Exchange): boolean {
    if (this.waiting.has(ex)) return true;
    if (this.waiting.size >= this.max) return false;
    this.reinsert(ex);
    return true;
  }

  remove(ex: Exchange): void {
    if (!this.waiting.delete(ex)) return;
    clearTimeout(ex.queueTimer);
    ex.queueTimer = undefined;
  }

  /** Something became available (readiness, health, new table): dispatch whoever can go now. */
  kick(table: CompiledTable): void {
    if (this.waiting.size === 0) return;
    for (const ex of [...this.waiting]) {
      this.remove(ex);
      if (!ex.retryFromQueue(table)) this.reinsert(ex);
    }
  }

  /** In line with the time it has left since it arrived. */
  private reinsert(ex: Exchange): void {
    const left = Math.max(0, this.timeoutMs - (performance.now() - ex.started));
    this.waiting.add(ex);
    ex.queueTimer = setTimeout(() => {
      this.remove(ex);
      ex.queueTimedOut();
    }, left);
  }

  /** Everything still waiting gets its 503 now (shutdown). */
  flush(): void {
    for (const ex of [...this.waiting]) {
      this.remove(ex);
      ex.queueTimedOut();
    }
  }
}
