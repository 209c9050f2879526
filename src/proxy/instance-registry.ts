import type { HealthCheckSpec, ServiceRoute } from './contract.ts';
import { Upstream, type UpstreamTuning } from './upstream.ts';
import { ActiveHealthCheck, scheduleTcpReadmit, type HealthListener } from './health-check.ts';
import { TrafficWindow } from './traffic-window.ts';

/**
 * Every upstream instance and revision the proxy knows, keyed by id so that
 * in-flight counts, pools, health state and metrics survive table swaps.
 */
export class InstanceRegistry {
  readonly upstreams = new Map<string, Upstream>();
  /** Removed from the table but still finishing in-flight work; drain() must still find them. */
  readonly retiring = new Map<string, Upstream>();
  /** Per-revision windows, keyed "service\0revision". */
  readonly revisions = new Map<string, TrafficWindow>();
  private readonly checks = new Map<string, ActiveHealthCheck>();

  constructor(
    private readonly tuning: UpstreamTuning,
    private readonly ejectionMs: number,
    private readonly onChange: HealthListener,
  ) {}

  /** Brings the registry in line with a new set of services; returns upstreams by id for compiling the table. */
  sync(services: ServiceRoute[]): Map<string, Upstream> {
    const seen = new Map<string, Upstream>();
    const revSeen = new Set<string>();
    for (const svc of services) {
      for (const rev of svc.revisions) {
        const key = revisionKey(svc.name, rev.name);
        revSeen.add(key);
        if (!this.revisions.has(key)) this.revisions.set(key, new TrafficWindow());
        for (const inst of rev.instances) {
          let u = this.upstreams.get(inst.id) ?? this.revive(inst.id);
          if (u && !u.sameAddress(inst)) {
            this.retire(u);
            u = undefined;
          }
          if (!u) {
            u = new Upstream(inst, this.tuning);
            this.upstreams.set(inst.id, u);
          }
          if (inst.ready !== undefined) u.ready = inst.ready;
          // A drained instance put back into the table serves again (e.g. a new controller kept it).
          if (u.draining && inst.ready !== false) u.undrain();
          u.inTable = true;
          seen.set(inst.id, u);
          this.syncCheck(u, svc.healthCheck);
        }
      }
    }
    for (const u of [...this.upstreams.values()]) if (!seen.has(u.id)) this.retire(u);
    for (const key of [...this.revisions.keys()]) if (!revSeen.has(key)) this.revisions.delete(key);
    return seen;
  }

  /** The live or retiring upstream with this id. */
  find(id: string): Upstream | undefined {
    return this.upstreams.get(id) ?? this.retiring.get(id);
  }

  revisionWindow(service: string, revision: string): TrafficWindow {
    return this.revisions.get(revisionKey(service, revision))!;
  }

  /** Passive ejection; re-admission comes from the active check, or a TCP probe when there is none. */
  eject(u: Upstream): void {
    if (u.ejected) return;
    u.ejected = true;
    if (!this.checks.has(u.id)) scheduleTcpReadmit(u, this.ejectionMs, this.onChange, () => this.upstreams.get(u.id) === u);
  }

  async close(): Promise<void> {
    for (const c of this.checks.values()) c.stop();
    this.checks.clear();
    const all = [...this.upstreams.values(), ...this.retiring.values()];
    this.upstreams.clear();
    this.retiring.clear();
    // Clients are gone by now (listeners closed first): what is left is mirrors and probes, cut rather than awaited.
    await Promise.all(all.map((u) => u.dispose(true)));
  }

  /** Out of the table: no new traffic at once; the pool closes after the last in-flight request. */
  private retire(u: Upstream): void {
    u.inTable = false;
    this.checks.get(u.id)?.stop();
    this.checks.delete(u.id);
    this.upstreams.delete(u.id);
    this.retiring.set(u.id, u);
    u.whenIdle(() => {
      if (u.inTable || this.retiring.get(u.id) !== u) return;
      this.retiring.delete(u.id);
      void u.dispose();
    });
  }

  /** An instance put back into the table before it finished retiring keeps its pool and counts. */
  private revive(id: string): Upstream | undefined {
    const u = this.retiring.get(id);
    if (u) this.retiring.delete(id);
    return u;
  }

  private syncCheck(u: Upstream, spec: HealthCheckSpec | undefined): void {
    const current = this.checks.get(u.id);
    if (current && spec && sameSpec(current.spec, spec)) return;
    current?.stop();
    this.checks.delete(u.id);
    if (!spec) {
      // Nothing would re-admit an instance ejected by a check that no longer exists; passive ejection still guards it.
      if (current) u.ejected = false;
      return;
    }
    const check = new ActiveHealthCheck(u, spec, this.onChange);
    this.checks.set(u.id, check);
    check.start();
  }
}

export function revisionKey(service: string, revision: string): string {
  return `${service}\0${revision}`;
}

function sameSpec(a: HealthCheckSpec, b: HealthCheckSpec): boolean {
  return a.path === b.path && a.intervalMs === b.intervalMs && a.timeoutMs === b.timeoutMs
    && a.healthyThreshold === b.healthyThreshold && a.unhealthyThreshold === b.unhealthyThreshold;
}
