/**
 * The proxy's desired state from each service's desired weights and its ready
 * instances. Pure. One ServiceRoute per service on its `listen` port (services
 * sharing a port share a listener). A revision keeps its identity: the route
 * names it by its number (`revisionKey`), with the version label beside it for
 * metrics and headers. An instance appears only while it is ready and not
 * being removed, and weight never points at a revision without instances when
 * another one has some. A service with `tls` makes its port HTTPS: the
 * certificates of the services sharing it go on one listener, each for its
 * service's hosts (SNI), and `tls.redirectHttp` adds a plain listener that
 * only redirects to it.
 */
import { experimentSchema, shadowSchema, type ServiceConfig } from '../config/schema.ts';
import type { CertificateSpec, MatchRule, ListenerSpec, RevisionRoute, ServiceRoute, UpstreamInstance } from '../proxy/contract.ts';
import type { RoutesState } from '../proxy/contract.ts';
import type { Desired } from './state.ts';
import { FULL_WEIGHT_BP, proportionalWeights } from './strategies/replicas.ts';

export interface ServiceRouteInput {
  name: string;
  cfg: ServiceConfig;
  desired: Desired;
  /** Version label per revision number. */
  versions: Record<number, string>;
  /** Ready instances per revision (not those being removed). */
  ready: Record<number, UpstreamInstance[]>;
  /** A flag's definition and the segments, for flag match rules (the controller's flags); undefined: no such flag. */
  flagDocument?: (name: string) => FlagDocument | undefined;
}

/** One flag in Unleash's client-API format, as a flag rule carries it. */
export interface FlagDocument {
  features: Record<string, unknown>[];
  segments?: Record<string, unknown>[];
}

/** The proxy's name for a revision of a service: its number, so stats and rules map back without a lookup table. */
export const revisionKey = (revision: number): string => String(revision);

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
      const rev = revisionRoute(input, preview.revision, FULL_WEIGHT_BP);
      services.push({ name: previewServiceName(input.name), revisions: [rev], ...serviceExtras(input.cfg) });
      // The preview port speaks what the service's port speaks, with the same certificate.
      listeners.push({ port: preview.port, services: [previewServiceName(input.name)], ...trusting(input.cfg.trustForwardedHeaders), ...serving([input]) });
    }
  }
  const redirects = new Map<number, number>();
  for (const [port, on] of byPort) {
    // A shared port trusts client X-Forwarded-* only if every service on it does.
    listeners.push({ port, services: on.map((i) => i.name), ...trusting(on.every((i) => i.cfg.trustForwardedHeaders)), ...serving(on) });
    for (const i of on) if (i.cfg.tls?.redirectHttp !== undefined) redirects.set(i.cfg.tls.redirectHttp, port);
  }
  for (const [port, httpsPort] of redirects) listeners.push({ port, services: [], redirectToHttps: { port: httpsPort } });
  listeners.sort((a, b) => a.port - b.port);
  return { listeners, services };
}

/**
 * The certificates of the services on one port (the config makes them all HTTPS or none), one per pair of files,
 * chosen for the hosts of the services that use it. The first is what clients without SNI get.
 */
function serving(on: ServiceRouteInput[]): Pick<ListenerSpec, 'tls'> {
  const certificates: CertificateSpec[] = [];
  for (const { cfg } of on) {
    if (!cfg.tls) continue;
    const same = certificates.find((c) => c.certFile === cfg.tls!.certFile && c.keyFile === cfg.tls!.keyFile);
    const hosts = cfg.hosts?.length ? cfg.hosts : undefined;
    if (!same) certificates.push({ certFile: cfg.tls.certFile, keyFile: cfg.tls.keyFile, ...(hosts ? { hosts: [...hosts] } : {}) });
    // A service without hosts answers any name: its certificate is chosen by the names it covers.
    else if (same.hosts) {
      if (hosts) same.hosts = [...new Set([...same.hosts, ...hosts])];
      else delete same.hosts;
    }
  }
  return certificates.length > 0 ? { tls: { certificates } } : {};
}

function trusting(trust: boolean): Pick<ListenerSpec, 'trustForwarded'> {
  return trust ? { trustForwarded: true } : {};
}

function serviceRoute(input: ServiceRouteInput): ServiceRoute | null {
  const revs = involvedRevisions(input.desired);
  if (revs.length === 0) return null;
  const weightsBp = effectiveWeightsBp(input, revs);
  const revisions = revs.map((r) => revisionRoute(input, r, weightsBp[r] ?? 0));
  const rules = input.desired.match
    .filter((m) => (input.ready[m.revision]?.length ?? 0) > 0)
    .flatMap((m): MatchRule[] => {
      if ('header' in m) return [{ revision: revisionKey(m.revision), header: { name: m.header, value: '1' } }];
      // The flag's definition goes with the rule: the proxy evaluates it per request. An unknown flag matches no one.
      const features = input.flagDocument?.(m.flag.name);
      if (!features) return [];
      return [{ revision: revisionKey(m.revision), flag: { name: m.flag.name, ...(m.flag.variant ? { variant: m.flag.variant } : {}), userKey: m.flag.userKey, features } }];
    });
  return {
    name: input.name,
    ...(input.cfg.hosts?.length ? { hosts: input.cfg.hosts } : {}),
    revisions,
    ...(rules.length ? { rules } : {}),
    ...mirrorRoute(input),
    ...experimentRoute(input),
    ...serviceExtras(input.cfg),
  };
}

/** Shadow: copies go to the shadow revision only while it has ready instances (they are never queued). */
function mirrorRoute(input: ServiceRouteInput): Pick<ServiceRoute, 'mirror'> {
  const m = input.desired.mirror;
  if (!m || (input.ready[m.revision]?.length ?? 0) === 0) return {};
  const cfg = input.cfg.strategy.shadow ?? shadowSchema.parse({});
  return {
    mirror: {
      revision: revisionKey(m.revision),
      percent: m.percent,
      methods: cfg.methods,
      maxInFlight: cfg.maxInFlight,
      compare: { ignoreHeaders: cfg.compare.ignoreHeaders, ignoreJsonPaths: cfg.compare.ignoreJsonPaths, maxBodyBytes: cfg.compare.maxBodyBytes },
    },
  };
}

/** Experiment: variant names by route revision, the sticky key and the goals the proxy counts. */
function experimentRoute(input: ServiceRouteInput): Pick<ServiceRoute, 'experiment'> {
  const e = input.desired.experiment;
  if (!e) return {};
  const cfg = input.cfg.strategy.experiment ?? experimentSchema.parse({});
  const variants = Object.fromEntries(Object.entries(e.variants).map(([name, rev]) => [revisionKey(rev), name]));
  return { experiment: { variants, stickyBy: cfg.stickyBy, goals: cfg.goals.map((g) => ({ name: g.name, ...g.request })) } };
}

function revisionRoute(input: ServiceRouteInput, revision: number, weightBp: number): RevisionRoute {
  return { name: revisionKey(revision), version: input.versions[revision] ?? `r${revision}`, weightBp, instances: input.ready[revision] ?? [] };
}

function serviceExtras(cfg: ServiceConfig): Pick<ServiceRoute, 'revisionHeader' | 'drainTimeoutMs' | 'hsts' | 'retry'> {
  const hsts = cfg.tls?.hsts;
  return {
    ...(cfg.revisionHeader ? { revisionHeader: true } : {}),
    ...(cfg.retry.nonIdempotent ? { retry: { nonIdempotent: true } } : {}),
    drainTimeoutMs: cfg.shutdown.drainTimeout,
    ...(hsts ? { hsts: { maxAgeSeconds: hsts.maxAge, ...(hsts.includeSubDomains ? { includeSubDomains: true } : {}) } } : {}),
  };
}

/** Every revision that runs, has weight or is matched, ascending. */
function involvedRevisions(d: Desired): number[] {
  const set = new Set<number>();
  for (const [r, n] of Object.entries(d.scale)) if (n > 0) set.add(Number(r));
  for (const [r, w] of Object.entries(d.weightsBp)) if (w > 0) set.add(Number(r));
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
function effectiveWeightsBp(input: ServiceRouteInput, revs: number[]): Record<number, number> {
  const has = (r: number) => (input.ready[r]?.length ?? 0) > 0;
  const desired = input.desired.weightsBp;
  const servable = Object.fromEntries(revs.filter((r) => has(r) && (desired[r] ?? 0) > 0).map((r) => [r, desired[r]!]));
  if (Object.keys(servable).length > 0) return proportionalWeights(servable);
  const anyReady = Object.fromEntries(revs.filter(has).map((r) => [r, input.ready[r]!.length]));
  if (Object.keys(anyReady).length > 0) return proportionalWeights(anyReady);
  const total = revs.reduce((s, r) => s + (desired[r] ?? 0), 0);
  return total > 0 ? desired : { [revs[0]!]: FULL_WEIGHT_BP };
}
