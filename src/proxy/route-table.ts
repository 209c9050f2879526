import type { ListenerSpec, MatchRule, ServiceRoute } from './contract.ts';
import type { Upstream } from './upstream.ts';
import { FlagEvaluator } from '../flags/evaluator.ts';
import type { TrafficWindow } from './traffic-window.ts';
import { compileExperiment, type CompiledExperiment } from './experiment/experiment-routing.ts';

export interface CompiledRevision {
  readonly service: string;
  readonly name: string;
  /** The label for metrics and x-cutover-revision (the route's `version`, else its name). */
  readonly version: string;
  readonly weightBp: number;
  readonly upstreams: readonly Upstream[];
  readonly window: TrafficWindow;
  /** Round-robin cursor for ties; mutable on purpose, per table version. */
  rr: number;
}

export interface CompiledService {
  readonly name: string;
  readonly spec: ServiceRoute;
  readonly prefix: string;
  readonly hosts: ReadonlySet<string> | null;
  readonly revisions: readonly CompiledRevision[];
  readonly byName: ReadonlyMap<string, CompiledRevision>;
  /** Revisions with weight > 0 and the running sum of their weights (the ring). */
  readonly weighted: readonly CompiledRevision[];
  readonly cumulative: Int32Array;
  readonly totalWeightBp: number;
  /** Match rules resolved to their revision, header names lower-cased: nothing left to look up per request. */
  readonly rules: readonly CompiledRule[];
  /** stickyBy.header, lower-cased (request header keys are). */
  readonly stickyHeader: string | undefined;
  readonly mirrorRevision: CompiledRevision | undefined;
  /** Methods copied to the mirror (upper-case); null: any replayable request. */
  readonly mirrorMethods: ReadonlySet<string> | null;
  readonly experiment: CompiledExperiment | null;
  readonly revisionHeader: boolean;
  /** The Strict-Transport-Security line (with its CRLF) added to answers over HTTPS; '' when the service sets none. */
  readonly hsts: string;
}

export interface CompiledRule {
  readonly header: { readonly name: string; readonly value: string } | undefined;
  readonly cookie: MatchRule['cookie'];
  readonly flag: CompiledFlagRule | undefined;
  readonly revision: CompiledRevision;
}

/** A flag rule with its definition compiled once per table. */
export interface CompiledFlagRule {
  readonly name: string;
  readonly variant: string | undefined;
  /** The user key's header (lower case) or cookie. */
  readonly header: string | undefined;
  readonly cookie: string | undefined;
  readonly evaluator: FlagEvaluator;
}

/** An immutable snapshot of routing: swapped with one assignment. */
export interface CompiledTable {
  readonly version: number;
  readonly listeners: ReadonlyMap<string, readonly CompiledService[]>;
  readonly services: ReadonlyMap<string, CompiledService>;
}

export function listenerKey(spec: Pick<ListenerSpec, 'host' | 'port'>): string {
  return `${spec.host ?? '0.0.0.0'}:${spec.port}`;
}

export function compileTable(
  version: number,
  listeners: ListenerSpec[],
  services: ServiceRoute[],
  upstreams: ReadonlyMap<string, Upstream>,
  revisionWindow: (service: string, revision: string) => TrafficWindow,
): CompiledTable {
  const byName = new Map<string, CompiledService>();
  for (const svc of services) byName.set(svc.name, compileService(svc, upstreams, revisionWindow));
  const ls = new Map<string, CompiledService[]>();
  for (const l of listeners) {
    const routes = l.services.map((n) => byName.get(n)).filter((s): s is CompiledService => s !== undefined);
    routes.sort(routeOrder);
    ls.set(listenerKey(l), routes);
  }
  return { version, listeners: ls, services: byName };
}

/** Longest path prefix wins; among equal prefixes a host-specific route beats a catch-all. */
export function matchRoute(routes: readonly CompiledService[], hostname: string, path: string): CompiledService | undefined {
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (r.hosts !== null && !r.hosts.has(hostname)) continue;
    if (prefixMatches(path, r.prefix)) return r;
  }
  return undefined;
}

function prefixMatches(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  // "/api" matches "/api", "/api/x" and "/api?q", not "/apix".
  if (path.length === prefix.length || prefix.endsWith('/')) return true;
  const c = path.charCodeAt(prefix.length);
  return c === 47 /* / */ || c === 63 /* ? */;
}

function routeOrder(a: CompiledService, b: CompiledService): number {
  if (a.prefix.length !== b.prefix.length) return b.prefix.length - a.prefix.length;
  return (a.hosts === null ? 1 : 0) - (b.hosts === null ? 1 : 0);
}

function compileService(
  svc: ServiceRoute,
  upstreams: ReadonlyMap<string, Upstream>,
  revisionWindow: (service: string, revision: string) => TrafficWindow,
): CompiledService {
  const revisions: CompiledRevision[] = svc.revisions.map((r) => ({
    service: svc.name,
    name: r.name,
    version: r.version ?? r.name,
    weightBp: r.weightBp,
    upstreams: r.instances.map((i) => upstreams.get(i.id)!).filter(Boolean),
    window: revisionWindow(svc.name, r.name),
    rr: 0,
  }));
  const weighted = revisions.filter((r) => r.weightBp > 0);
  const cumulative = new Int32Array(weighted.length);
  let total = 0;
  weighted.forEach((r, i) => {
    total += r.weightBp;
    cumulative[i] = total;
  });
  const byName = new Map(revisions.map((r) => [r.name, r]));
  // A rule naming an unknown revision never matches, so it is dropped here once.
  const rules: CompiledRule[] = (svc.rules ?? []).flatMap((r) => {
    const revision = byName.get(r.revision);
    if (!revision) return [];
    const flag: CompiledFlagRule | undefined = r.flag && {
      name: r.flag.name,
      variant: r.flag.variant,
      header: r.flag.userKey.header?.toLowerCase(),
      cookie: r.flag.userKey.cookie,
      evaluator: new FlagEvaluator(r.flag.features as unknown as ConstructorParameters<typeof FlagEvaluator>[0]),
    };
    return [{ header: r.header && { name: r.header.name.toLowerCase(), value: r.header.value }, cookie: r.cookie, flag, revision }];
  });
  return {
    name: svc.name,
    spec: svc,
    prefix: svc.pathPrefix ?? '/',
    hosts: svc.hosts && svc.hosts.length > 0 ? new Set(svc.hosts.map((h) => h.toLowerCase())) : null,
    revisions,
    byName,
    weighted,
    cumulative,
    totalWeightBp: total,
    rules,
    stickyHeader: svc.stickyBy?.header?.toLowerCase(),
    mirrorRevision: svc.mirror && byName.get(svc.mirror.revision),
    mirrorMethods: svc.mirror?.methods ? new Set(svc.mirror.methods) : null,
    experiment: svc.experiment ? compileExperiment(svc.experiment) : null,
    revisionHeader: svc.revisionHeader === true,
    hsts: svc.hsts ? `strict-transport-security: max-age=${svc.hsts.maxAgeSeconds}${svc.hsts.includeSubDomains ? '; includeSubDomains' : ''}\r\n` : '',
  };
}
