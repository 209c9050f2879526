import { UpstreamPool } from './http1/upstream-pool.ts';
import type { Sweeper } from './http1/sweeper.ts';
import { InFlight } from './in-flight.ts';
import type { DrainResult, UpstreamInstance } from './contract.ts';
import { TrafficWindow } from './traffic-window.ts';

export type { Cuttable } from './in-flight.ts';

export interface UpstreamTuning {
  connectTimeoutMs: number;
  connections: number;
  sweeper: Sweeper;
}

/**
 * One upstream instance as the proxy tracks it across table swaps: its pool
 * of kept-alive connections, in-flight work, readiness and ejection.
 */
export class Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  readonly window = new TrafficWindow();
  /** Set from outside (runtime / controller). */
  ready = true;
  /** Set by the proxy's own health checks or passive ejection. */
  ejected = false;
  draining = false;
  private readonly drainCancels = new Set<() => void>();
  inTable = true;
  consecutive5xx = 0;
  readonly active = new InFlight();
  private idleWaiters: Array<() => void> = [];

  constructor(spec: UpstreamInstance, tuning: UpstreamTuning) {
    this.id = spec.id;
    this.host = spec.host;
    this.port = spec.port;
    this.pool = new UpstreamPool(spec.host, spec.port, tuning);
  }

  get available(): boolean {
    return this.ready && !this.ejected && !this.draining && this.inTable;
  }

  sameAddress(spec: UpstreamInstance): boolean {
    return spec.host === this.host && spec.port === this.port;
  }

  /** Called when an exchange or socket on this instance ends. */
  released(): void {
    if (this.active.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once nothing is in flight, or cuts what is left at the timeout. */
  drain(timeoutMs: number): Promise<DrainResult> {
    this.draining = true;
    if (this.active.size === 0) return Promise.resolve({ drained: true, cut: 0 });
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: DrainResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.drainCancels.delete(cancel);
        resolve(result);
      };
      const cancel = () => finish({ drained: false, cut: 0 });
      const timer = setTimeout(() => {
        const left = this.active.list();
        finish({ drained: false, cut: left.length }); // first: each cut frees a slot and would report "drained"
        for (const c of left) c.cut();
      }, timeoutMs);
      timer.unref();
      this.drainCancels.add(cancel);
      this.idleWaiters.push(() => finish({ drained: true, cut: 0 }));
    });
  }

  /**
   * Back in service (re-added to the table, or marked ready): stop draining
   * and call off pending drains, whose timeout would otherwise cut requests
   * this instance took after coming back.
   */
  undrain(): void {
    this.draining = false;
    for (const cancel of [...this.drainCancels]) cancel();
  }

  /** Waits for idle without cutting (used before closing the pool of a removed instance). */
  whenIdle(cb: () => void): void {
    if (this.active.size === 0) cb();
    else this.idleWaiters.push(cb);
  }

  /** Closes the pool: after in-flight responses (a retired instance), or at once (`force`, the proxy is closing). */
  async dispose(force = false): Promise<void> {
    if (force) return this.pool.destroy();
    await this.pool.close();
  }
}

/** A host as it goes in a URL: IPv6 addresses in brackets (once). */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
