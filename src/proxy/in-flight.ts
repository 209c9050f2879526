/** Something in flight on an upstream that a drain timeout can cut. */
export interface Cuttable {
  cut(): void;
  /** Position in its instance's InFlight list, -1 when in none; kept by InFlight. */
  inFlightIndex: number;
}

/**
 * The requests and WebSockets in flight on one instance: add and remove in
 * O(1) by an index kept on the item, with the vacated slot cleared.
 *
 * It replaces a `Set`, which under load (one add and one delete per request
 * on a long-lived Set) left some proxy processes with every request's
 * objects surviving a young-generation collection: 1.4 MB per scavenge and
 * 3–5 ms pauses instead of ~25 KB and under 1 ms (`--trace-gc-nvp`, paced
 * load; 4 of 4 runs clean without the Set against 3 of 5 affected with it).
 */
export class InFlight {
  private readonly items: Cuttable[] = [];

  get size(): number {
    return this.items.length;
  }

  add(c: Cuttable): void {
    if (c.inFlightIndex >= 0) return;
    c.inFlightIndex = this.items.length;
    this.items.push(c);
  }

  delete(c: Cuttable): void {
    const i = c.inFlightIndex;
    if (i < 0 || this.items[i] !== c) return;
    const last = this.items.pop()!;
    if (last !== c) {
      this.items[i] = last;
      last.inFlightIndex = i;
    }
    c.inFlightIndex = -1;
  }

  /** A copy, for cutting everything left (each cut removes itself). */
  list(): Cuttable[] {
    return this.items.slice();
  }
}
