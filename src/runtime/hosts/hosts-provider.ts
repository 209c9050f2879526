/**
 * Instances on several hosts: one DockerProvider per host (its Engine over SSH or TCP), behind the one RuntimeProvider the
 * InstanceManager drives. A record's `host` is its host's address, so stop, probe and adopt go to the provider that
 * started it. A new instance goes to the host with the fewest instances of its revision (then of its service), so
 * every revision is spread evenly and a rolling batch lands one per host.
 */
import type { PulledImage, PullProgress } from '../docker/image-pull.ts';
import type { BuildRequest } from '../docker/image-build.ts';
import type { DockerProvider } from '../docker/docker-provider.ts';
import type { ExitListener, InstanceRecord, InstanceSpec, Probe, RuntimeProvider, StopOptions } from '../provider.ts';
import { HostUnreachableError } from '../errors.ts';

export interface Host {
  name: string;
  /** Where its published ports are reached; the `host` of its instances' records. */
  address: string;
  provider: DockerProvider;
}

export class HostsProvider implements RuntimeProvider {
  readonly name = 'docker-hosts';
  /** Instance id → host address, for every instance started or adopted and not yet stopped. */
  private readonly placed = new Map<string, { address: string; service: string; revision: number }>();

  constructor(readonly hosts: readonly Host[]) {
    for (const h of hosts) h.provider.onExit((record) => this.placed.delete(record.id));
  }

  async start(spec: InstanceSpec): Promise<InstanceRecord> {
    const host = this.placeOf(spec);
    const record = await host.provider.start(spec);
    this.placed.set(record.id, { address: host.address, service: spec.service, revision: spec.revision });
    return record;
  }

  async stop(record: InstanceRecord, opts: StopOptions): Promise<void> {
    await this.of(record).provider.stop(record, opts);
    this.placed.delete(record.id);
  }

  isAlive(record: InstanceRecord): boolean {
    return this.hostOf(record)?.provider.isAlive(record) ?? false;
  }

  probe(record: InstanceRecord, probe: Probe): Promise<boolean> {
    return this.of(record).provider.probe(record, probe);
  }

  adopt(record: InstanceRecord): boolean {
    const host = this.hostOf(record);
    if (!host?.provider.adopt(record)) return false;
    this.placed.set(record.id, { address: host.address, service: record.service, revision: record.revision });
    return true;
  }

  onExit(listener: ExitListener): void {
    for (const h of this.hosts) h.provider.onExit(listener);
  }

  async detach(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.provider.detach()));
  }

  /** Makes the image present on every host; the revision records the first host's pin (see docs/scale-out.md). */
  async pullImage(image: string, onProgress?: PullProgress): Promise<PulledImage> {
    const pulled = await Promise.all(this.hosts.map((h) => h.provider.pullImage(image, onProgress && ((line) => onProgress(`${h.name}: ${line}`)))));
    // Registry digests agree across hosts; local image ids (an image built on each host) need not, so the tag stays the reference then.
    const same = pulled.every((p) => p.digest === pulled[0]!.digest);
    return same ? pulled[0]! : { image, digest: image };
  }

  /** Builds the image on every host (each from the same context); their local ids differ, so the tag is the reference. */
  async buildImage(req: BuildRequest, onProgress?: PullProgress): Promise<PulledImage> {
    const built = await Promise.all(this.hosts.map((h) => h.provider.buildImage(req, onProgress && ((line) => onProgress(`${h.name}: ${line}`)))));
    return built.every((b) => b.digest === built[0]!.digest) ? built[0]! : { image: req.tag, digest: req.tag };
  }

  async removeStrays(keep: ReadonlySet<string>, stopFor: (service: string) => StopOptions): Promise<string[]> {
    const removed = await Promise.all(this.hosts.map((h) => h.provider.removeStrays(keep, stopFor)));
    return removed.flat();
  }

  /** The address of the host an instance runs on, when this provider started or adopted it. */
  addressOf(id: string): string | undefined {
    return this.placed.get(id)?.address;
  }

  /** The host of a record (by address). */
  hostOf(record: Pick<InstanceRecord, 'host'>): Host | undefined {
    return this.hosts.find((h) => h.address === record.host);
  }

  private of(record: InstanceRecord): Host {
    const host = this.hostOf(record);
    if (!host) throw new HostUnreachableError(record.host, `instance ${record.id} runs on ${record.host}, which is not in \`hosts\``);
    return host;
  }

  /** A restart in place stays where it was; a new instance goes where its revision, then its service, has fewest. */
  private placeOf(spec: InstanceSpec): Host {
    const prev = spec.id ? this.placed.get(spec.id) : undefined;
    const same = prev && this.hosts.find((h) => h.address === prev.address);
    if (same) return same;
    const count = (address: string, match: (p: { service: string; revision: number }) => boolean) => [...this.placed.values()].filter((p) => p.address === address && match(p)).length;
    const score = (h: Host) => [count(h.address, (p) => p.service === spec.service && p.revision === spec.revision), count(h.address, (p) => p.service === spec.service)] as const;
    let best = this.hosts[0]!;
    for (const h of this.hosts.slice(1)) {
      const [a, b] = [score(h), score(best)];
      if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) best = h;
    }
    return best;
  }
}
