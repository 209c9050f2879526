/**
 * The data plane of `hosts:`: a proxy on every host, driven through its admin API. Each host's proxy gets the
 * service table with only that host's instances (weights are per revision, so every host moves in step); drains go
 * to the host of the instance; stats add up across hosts. A host whose Engine or proxy does not answer is reported
 * by `unreachable()`, which holds rollouts until it is back; the others keep getting their tables.
 */
import type { CertificateInfo, DrainResult, RoutesState, ServiceStats } from '../../proxy/contract.ts';
import type { HostsProvider } from '../../runtime/hosts/hosts-provider.ts';
import { HostUnreachableError } from '../../runtime/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { DataPlane } from '../data-plane.ts';
import type { UnreachableHost } from '../../rollout/state.ts';
import type { HostProxy } from './host-proxy.ts';
import { mergeStats } from './merge-stats.ts';
import { labelExposition } from './label-exposition.ts';

interface HostPlane {
  name: string;
  address: string;
  proxy: HostProxy;
  /** Whether the host's Engine answered its last check (the provider checks it every second). */
  engineAnswers(): boolean;
}

const CHECK_MS = 1000;

export class HostsDataPlane implements DataPlane {
  private readonly down = new Map<string, string>();
  private watching = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hosts: readonly HostPlane[],
    private readonly provider: HostsProvider,
    private readonly logger: Logger,
  ) {}

  /** One host at a time: replacing a proxy of another version leaves its host refusing connections for a moment. */
  async ensure(): Promise<boolean> {
    let started = false;
    for (const h of this.hosts) started = (await h.proxy.ensure()) || started;
    return started;
  }

  describe(): Record<string, unknown> {
    return { hosts: this.hosts.map((h) => `${h.name} (${h.proxy.adminUrl})`) };
  }

  unreachable(): UnreachableHost[] {
    return [...this.down.entries()].map(([host, why]) => ({ host, why }));
  }

  async apply(state: RoutesState): Promise<void> {
    const results = await Promise.allSettled(this.hosts.map((h) => h.proxy.client.apply(tableFor(state, h.address))));
    this.throwFailures(results, 'its proxy refused or missed the route table');
  }

  async drain(id: string, timeoutMs: number): Promise<DrainResult> {
    const address = this.provider.addressOf(id);
    const host = address && this.hosts.find((h) => h.address === address);
    if (host) return host.proxy.client.drain(id, timeoutMs);
    // Not placed by us (a record from before a restart not yet adopted): every proxy that knows it drains it.
    const all = await Promise.allSettled(this.hosts.map((h) => h.proxy.client.drain(id, timeoutMs)));
    const done = all.filter((r): r is PromiseFulfilledResult<DrainResult> => r.status === 'fulfilled').map((r) => r.value);
    return { drained: done.every((d) => d.drained), cut: done.reduce((a, d) => a + d.cut, 0) };
  }

  async stats(): Promise<ServiceStats[]> {
    const results = await Promise.allSettled(this.hosts.map((h) => h.proxy.client.stats()));
    return mergeStats(results.filter((r): r is PromiseFulfilledResult<ServiceStats[]> => r.status === 'fulfilled').map((r) => r.value));
  }

  /** The union of what the hosts' proxies serve (each lists its own instances). */
  async routes(): Promise<RoutesState> {
    const results = await Promise.allSettled(this.hosts.map((h) => h.proxy.client.routes()));
    const tables = results.filter((r): r is PromiseFulfilledResult<RoutesState> => r.status === 'fulfilled').map((r) => r.value);
    this.throwFailures(results, 'its proxy did not return its routes');
    return unionOf(tables);
  }

  async certificates(): Promise<CertificateInfo[]> {
    const all = await Promise.allSettled(this.hosts.map((h) => h.proxy.client.certificates()));
    return all.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  }

  async metricsText(): Promise<string> {
    const texts = await Promise.all(this.hosts.map((h) => h.proxy.client.metricsText().then((t) => ({ host: h.name, text: t }), () => undefined)));
    return labelExposition(texts.filter((t) => t !== undefined));
  }

  /** Checks every host each second: its Engine and its proxy. A proxy container that is gone is started again. */
  watch(onRestart: () => void): void {
    this.watching = true;
    const loop = async () => {
      while (this.watching) {
        await Promise.all(this.hosts.map((h) => this.check(h, onRestart)));
        await new Promise<void>((r) => {
          this.timer = setTimeout(r, CHECK_MS);
          this.timer.unref();
        });
      }
    };
    void loop();
  }

  async detach(): Promise<void> {
    this.watching = false;
    clearTimeout(this.timer);
    await Promise.all(this.hosts.map((h) => h.proxy.close()));
  }

  async stop(timeoutMs: number): Promise<void> {
    this.watching = false;
    clearTimeout(this.timer);
    await Promise.all(this.hosts.map((h) => h.proxy.stop(timeoutMs)));
  }

  private async check(h: HostPlane, onRestart: () => void): Promise<void> {
    const engine = h.engineAnswers();
    const proxy = await h.proxy.client.health();
    let why: string | undefined;
    if (!engine) why = 'its Docker Engine does not answer';
    if (engine && !proxy) {
      why = 'its proxy does not answer';
      // Gone or stopped (not merely slow): start it again. A running one is left alone.
      if (await h.proxy.ensure().catch(() => false)) {
        onRestart();
        why = (await h.proxy.client.health()) ? undefined : why;
      }
    }
    const was = this.down.get(h.name);
    if (why && was !== why) this.logger.warn({ host: h.name }, `host ${h.name}: ${why}; rollouts wait for it`);
    if (!why && was) this.logger.info({ host: h.name }, `host ${h.name} answers again`);
    if (why) this.down.set(h.name, why);
    else this.down.delete(h.name);
  }

  private throwFailures(results: PromiseSettledResult<unknown>[], what: string): void {
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ host: this.hosts[i]!, err: r.reason as Error }] : []));
    for (const f of failed) if (!this.down.has(f.host.name)) this.down.set(f.host.name, `${what}: ${f.err.message}`);
    if (failed.length > 0) throw new HostUnreachableError(failed.map((f) => f.host.name).join(', '), `${what}: ${failed[0]!.err.message}`, failed[0]!.err);
  }
}

/** The table of one host: every service and weight, and only the instances on that host. */
export function tableFor(state: RoutesState, address: string): RoutesState {
  return {
    ...state,
    services: state.services.map((svc) => ({ ...svc, revisions: svc.revisions.map((rev) => ({ ...rev, instances: rev.instances.filter((i) => i.host === address) })) })),
  };
}

/** Several hosts' tables as one: the first host's, with every host's instances. */
export function unionOf(tables: RoutesState[]): RoutesState {
  const [first, ...rest] = tables;
  if (!first) return { listeners: [], services: [] };
  return {
    ...first,
    services: first.services.map((svc) => ({
      ...svc,
      revisions: svc.revisions.map((rev) => ({
        ...rev,
        instances: [...rev.instances, ...rest.flatMap((t) => t.services.find((s) => s.name === svc.name)?.revisions.find((r) => r.name === rev.name)?.instances ?? [])],
      })),
    })),
  };
}
