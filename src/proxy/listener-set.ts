import type { ListenerSpec } from './types.ts';
import type { ProxyOptions } from './options.ts';
import type { Logger } from '../shared/log.ts';
import { Listener, type ListenerHandlers } from './listener.ts';
import { listenerKey } from './route-table.ts';
import { ListenFailedError } from './errors.ts';
import { ClientTable } from './http1/client-limits.ts';

export interface ListenerAddress {
  /** The port asked for (0 = any). */
  requestedPort: number;
  host: string;
  /** The port actually bound. */
  port: number;
  tls: boolean;
}

/** The open listeners, kept in line with the desired list; removed ones close gracefully. */
export class ListenerSet {
  private readonly open = new Map<string, Listener>();
  /** Per client address, across every listener. */
  readonly clients: ClientTable;

  constructor(
    private readonly opts: ProxyOptions,
    private readonly log: Logger,
    private readonly drainMs: number,
    private readonly handlers: ListenerHandlers,
  ) {
    this.clients = new ClientTable(opts.maxConnectionsPerClient);
  }

  /** Binds listeners that are new (or whose TLS changed). If one fails, the ones just opened close again. */
  async openMissing(specs: ListenerSpec[]): Promise<void> {
    const opened: Listener[] = [];
    try {
      for (const spec of specs) {
        const key = listenerKey(spec);
        const cur = this.open.get(key);
        if (cur && sameTls(cur.spec, spec)) {
          cur.spec = spec;
          continue;
        }
        if (cur) {
          this.open.delete(key);
          await cur.close(this.drainMs);
        }
        const l = new Listener(spec, this.opts, this.handlers, this.log, this.clients);
        await l.listen().catch((err: unknown) => {
          throw new ListenFailedError(spec.host ?? '0.0.0.0', spec.port, err);
        });
        opened.push(l);
        this.open.set(key, l);
        this.log.info({ listener: key, port: l.port, tls: !!spec.tls }, 'listening');
      }
    } catch (err) {
      for (const l of opened) {
        this.open.delete(l.key);
        await l.close(0);
      }
      throw err;
    }
  }

  /** Closes listeners not in the list, in the background: in-flight requests finish first. */
  closeExtra(specs: ListenerSpec[]): void {
    const keep = new Set(specs.map(listenerKey));
    for (const [key, l] of this.open) {
      if (keep.has(key)) continue;
      this.open.delete(key);
      void l.close(this.drainMs);
    }
  }

  addresses(): ListenerAddress[] {
    return [...this.open.values()].map((l) => ({ requestedPort: l.spec.port, host: l.spec.host ?? '0.0.0.0', port: l.port, tls: !!l.spec.tls }));
  }

  async closeAll(timeoutMs: number): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((l) => l.close(timeoutMs)));
  }
}

function sameTls(a: ListenerSpec, b: ListenerSpec): boolean {
  return a.tls?.certFile === b.tls?.certFile && a.tls?.keyFile === b.tls?.keyFile;
}
