/**
 * Per client address: connections open and requests in progress, so one
 * address cannot take every upstream connection of an instance (slow
 * uploads, downloads it does not read) or every socket of the proxy. The
 * counter is looked up once per connection; a request only bumps a number
 * on it.
 */

/** One client address's share of the proxy. */
export class ClientCounter {
  connections = 0;
  /** Requests routed to an instance (or waiting for one) and not finished. */
  requests = 0;

  constructor(
    readonly address: string,
    private readonly table: ClientTable | null,
    /** Not subject to the per-address limits (its peer is a trusted proxy). */
    readonly unlimited = false,
  ) {}

  /** A request finished: the address is forgotten once it has neither requests nor connections. */
  requestDone(): void {
    if (--this.requests === 0 && this.connections === 0) this.table?.forget(this);
  }
}

export class ClientTable {
  private readonly byAddress = new Map<string, ClientCounter>();

  /** `maxConnections`: open connections per address, 0 = no limit. */
  constructor(private readonly maxConnections: number) {}

  /**
   * The counter for a new connection from `address`, or null when the address already has its limit of connections.
   * `unlimited` (a listener behind a trusted proxy): counted, never refused, and its requests are not limited either.
   */
  open(address: string, unlimited = false): ClientCounter | null {
    const key = unlimited ? `trusted ${address}` : address;
    let c = this.byAddress.get(key);
    if (c === undefined) {
      c = new ClientCounter(key, this, unlimited);
      this.byAddress.set(key, c);
    } else if (!unlimited && this.maxConnections > 0 && c.connections >= this.maxConnections) return null;
    c.connections++;
    return c;
  }

  /** A connection closed. */
  close(c: ClientCounter): void {
    if (--c.connections === 0 && c.requests === 0) this.forget(c);
  }

  forget(c: ClientCounter): void {
    if (this.byAddress.get(c.address) === c) this.byAddress.delete(c.address);
  }

  /** Addresses tracked now (tests: the table empties when clients leave). */
  get size(): number {
    return this.byAddress.size;
  }
}
