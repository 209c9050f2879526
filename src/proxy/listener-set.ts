import type { CertificateInfo, ListenerSpec } from './contract.ts';
import type { PreparedCertificates } from './certificates.ts';
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

  /**
   * Binds listeners that are new (or that switch between HTTP and HTTPS), and gives open HTTPS listeners their new
   * certificate list in place (no new socket, open connections untouched). Every new certificate is loaded and
   * checked before anything changes; if one cannot be used (TlsCertificateError) or a port cannot be bound, the
   * listeners just opened close again and the open ones keep what they had.
   */
  async openMissing(specs: ListenerSpec[]): Promise<void> {
    const swaps: Array<[Listener, ListenerSpec, PreparedCertificates | undefined]> = [];
    for (const spec of specs) {
      const cur = this.open.get(listenerKey(spec));
      if (!cur || !cur.spec.tls !== !spec.tls) continue;
      const changed = spec.tls && JSON.stringify(cur.spec.tls) !== JSON.stringify(spec.tls);
      swaps.push([cur, spec, changed ? cur.certificates!.prepare(spec.tls!) : undefined]);
    }
    const opened: Listener[] = [];
    try {
      for (const spec of specs) {
        const key = listenerKey(spec);
        const cur = this.open.get(key);
        if (cur && !cur.spec.tls === !spec.tls) continue;
        // Certificates are loaded (or refused) here, before the listener it replaces, if any, is closed.
        const l = new Listener(spec, this.opts, this.handlers, this.log, this.clients);
        if (cur) {
          this.open.delete(key);
          await cur.close(this.drainMs);
        }
        await l.listen().catch((err: unknown) => {
          l.certificates?.close();
          throw new ListenFailedError(spec.host ?? '0.0.0.0', spec.port, err);
        });
        opened.push(l);
        this.open.set(key, l);
        this.log.info({ listener: key, port: l.port, tls: !!spec.tls, ...(spec.redirectToHttps ? { redirectToHttps: spec.redirectToHttps.port } : {}) }, 'listening');
      }
    } catch (err) {
      for (const l of opened) {
        this.open.delete(l.key);
        await l.close(0);
      }
      throw err;
    }
    for (const [l, spec, prepared] of swaps) {
      l.spec = spec;
      if (prepared) l.certificates!.use(prepared);
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

  /** Every certificate the HTTPS listeners serve now. */
  certificates(): CertificateInfo[] {
    return [...this.open.values()].flatMap((l) => l.certificateInfo());
  }

  async closeAll(timeoutMs: number): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((l) => l.close(timeoutMs)));
  }
}
