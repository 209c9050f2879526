/**
 * The proxy's desired state from each service's desired weights and its ready
 * instances. Pure. One ServiceRoute per service on its `listen` port (services
 * sharing a port share a listener); revision names are the version labels
 * ("v2"), or "v2-r5" when two revisions in the route share a label. An
 * instance appears only while it is ready and not being removed, and weight
 * never points at a revision without instances when another one has some.
 */
import type { ServiceConfig } from '../config/schema.ts';
import type { ListenerSpec, RevisionRoute, ServiceRoute, UpstreamInstance } from '../proxy/types.ts';
import type { RoutesState } from './ports.ts';
import type { Desired } from './state.ts';
import { FULL_WEIGHT, proportionalWeights } from './strategies/replicas.ts';

export interface ServiceRouteInput {
  name: string;
  cfg: ServiceConfig;
  desired: Desired;
  /** Version label per revision number. */
  versions: Record<number, string>;
  /** Ready instances per revision (not those being removed). */
  ready: Record<number, UpstreamInstance[]>;
}

/** Name of the preview-only service behind `previewPort` (not a valid service name, so it cannot clash). */
export const previewServiceName = (service: string): string => `${service}:preview`;

export function buildRoutes(inputs: ServiceRouteInput[]): RoutesState {
  const services: ServiceRoute[] = [];
  const byPort = new Map<number, ServiceRouteInput[]>();
  const listeners: ListenerSpec[] = [];
  for (const input of inputs) {
    const route = serviceRoute(input);
    if (!route) continue;
    services.push(route);
    byPort.set(input.cfg.listen, [...(byPort.get(input.cfg.listen) ?? []), input]);
    const preview = input.desired.previewPort;
    if (preview) {
      const names = routeNames(input);
      const rev: RevisionRoute = { name: names[preview.revision]!, weight: FULL_WEIGHT, instances: input.ready[preview.revision] ?? [] };
      services.push({ name: previewServiceName(input.name), revisions: [rev], ...(input.cfg.revisionHeader ? { revisionHeader: true } : {}), ...retrying(input.cfg) });
      listeners.push({ port: preview.port, services: [previewServiceName(input.name)], ...trusting(input.cfg.trustForwardedHeaders) });
    }
  }
  for (const [port, on] of byPort) {
    // A shared port trusts client X-Forwarded-* only if every service on it does.
    listeners.push({ port, services: on.map((i) => i.name), ...trusting(on.every((i) => i.cfg.trustForwardedHeaders)) });
  }
  listeners.sort((a, b) => a.port - b.port);
  return { listeners, services };
}

function retrying(cfg: ServiceConfig): Pick<ServiceRoute, 'retry'> {
  return cfg.retry.nonIdempotent ? { retry: { nonIdempotent: true } } : {};
}

function trusting(trust: boolean): Pick<ListenerSpec, 'trustForwarded'> {
  return trust ? { trustForwarded: true } : {};
}

/** Route name per revision number for one service's route. */
export function routeNames(input: Pick<ServiceRouteInput, 'desired' | 'versions'>): Record<number, string> {
  const revs = involvedRevisions(input.desired);
  const labels = revs.map((r) => input.versions[r] ?? `r${r}`);
  const out: Record<number, string> = {};
  revs.forEach((r, i) => {
    const dup = labels.filter((l) => l === labels[i]).length > 1;
    out[r] = dup ? `${labels[i]}-r${r}` : labels[i]!;
  });
  return out;
}

function serviceRoute(input: ServiceRouteInput): ServiceRoute | null {
  const revs = involvedRevisions(input.desired);
  if (revs.length === 0) return null;
  const names = routeNames(input);
  const weights = effectiveWeights(input, revs);
  const revisions = revs.map((r) => ({ name: names[r]!, weight: weights[r] ?? 0, instances: input.ready[r] ?? [] }));
  const rules = input.desired.match
    .filter((m) => (input.ready[m.revision]?.length ?? 0) > 0)
    .map((m) => ({ revision: names[m.revision]!, header: { name: m.header, value: '1' } }));
  return {
    name: input.name,
    ...(input.cfg.hosts?.length ? { hosts: input.cfg.hosts } : {}),
    revisions,
    ...(rules.length ? { rules } : {}),
    ...(input.cfg.revisionHeader ? { revisionHeader: true } : {}),
    ...retrying(input.cfg),
  };
}

/** Every revision that runs, has weight or is matched, ascending. */
function involvedRevisions(d: Desired): number[] {
  const set = new Set<number>();
  for (const [r, n] of Object.entries(d.scale)) if (n > 0) set.add(Number(r));
  for (const [r, w] of Object.entries(d.weights)) if (w > 0) set.add(Number(r));
  for (const m of d.match) set.add(m.revision);
  if (d.previewPort) set.add(d.previewPort.revision);
  return [...set].sort((a, b) => a - b);
}

/**
 * Desired weights, moved off revisions that have no ready instance: first onto
 * the weighted revisions that have some, else onto any revision with ready
 * instances. With nothing ready anywhere the desired weights stay (the proxy
 * queues requests until an instance is ready).
 */
function effectiveWeights(input: ServiceRouteInput, revs: number[]): Record<number, number> {
  const has = (r: number) => (input.ready[r]?.length ?? 0) > 0;
  const desired = input.desired.weights;
  const servable = Object.fromEntries(revs.filter((r) => has(r) && (desired[r] ?? 0) > 0).map((r) => [r, desired[r]!]));
  if (Object.keys(servable).length > 0) return proportionalWeights(servable);
  const anyReady = Object.fromEntries(revs.filter(has).map((r) => [r, input.ready[r]!.length]));
  if (Object.keys(anyReady).length > 0) return proportionalWeights(anyReady);
  const total = revs.reduce((s, r) => s + (desired[r] ?? 0), 0);
  return total > 0 ? desired : { [revs[0]!]: FULL_WEIGHT };
}
