/**
 * Prometheus HTTP service discovery (`http_sd_configs`): the instances Cutover
 * runs, as target groups Prometheus scrapes directly, and Cutover's own
 * metrics endpoints. Pure: the route gathers the inputs.
 *
 * The format is Prometheus's: a JSON array of `{ targets: ["host:port"],
 * labels: { name: value } }`; labels starting with `__` are Prometheus's own
 * (`__metrics_path__` sets the path scraped) and are dropped after relabelling.
 */
import type { RolloutStatus } from '../rollout/types.ts';
import type { InstanceRecord } from '../runtime/provider.ts';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** What discovery needs of an instance: its record and lifecycle state (a ManagedInstance is one). */
export interface DiscoveredInstance {
  record: InstanceRecord;
  state: string;
}

/** Instances in these states have no process to scrape. */
const GONE = new Set(['stopped', 'failed']);

export const DEFAULT_METRICS_PATH = '/metrics';

/**
 * One group per instance, labelled with its service, revision (number), version, instance id and role
 * (stable, canary, preview or old, as `cutover status` shows it).
 *
 * @example instanceTargets([web], [{ record: { id: 'web-2-a', service: 'web', revision: 2, host: '127.0.0.1', port: 4001, ... }, state: 'ready' }], () => '/metrics')
 * // [{ targets: ['127.0.0.1:4001'], labels: { service: 'web', revision: '2', version: 'v2', instance: 'web-2-a', role: 'canary', __metrics_path__: '/metrics' } }]
 */
export function instanceTargets(statuses: RolloutStatus[], instances: DiscoveredInstance[], metricsPath: (service: string) => string | undefined): TargetGroup[] {
  const roles = new Map<string, string>();
  for (const s of statuses) for (const r of s.revisions) roles.set(`${s.service}\0${r.number}`, r.role);
  return instances
    .filter((i) => !GONE.has(i.state))
    .map(({ record: r }) => ({
      targets: [hostPort(r.host, r.port)],
      labels: {
        service: r.service,
        revision: String(r.revision),
        version: r.version,
        instance: r.id,
        role: roles.get(`${r.service}\0${r.revision}`) ?? 'old',
        __metrics_path__: metricsPath(r.service) ?? DEFAULT_METRICS_PATH,
      },
    }))
    .sort((a, b) => (a.labels.instance! < b.labels.instance! ? -1 : 1));
}

/** Cutover's own endpoints on the control API: the controller's metrics and the proxy's per-revision metrics. */
export function cutoverTargets(apiHostPort: string): TargetGroup[] {
  return [
    { targets: [apiHostPort], labels: { job: 'cutover-controller', __metrics_path__: CONTROLLER_METRICS_PATH } },
    { targets: [apiHostPort], labels: { job: 'cutover-proxy', __metrics_path__: PROXY_METRICS_PATH } },
  ];
}

export const CONTROLLER_METRICS_PATH = '/metrics';
export const PROXY_METRICS_PATH = '/api/v1/metrics/proxy';

/** `host:port`, an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
