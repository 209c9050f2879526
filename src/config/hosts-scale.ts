/**
 * With `hosts:`, counts in cutover.yaml are per host (as Kamal's are): `replicas: 2` on three hosts is six
 * instances. The planners count instances per revision for the whole service, so the engine hands them the totals:
 * replicas, absolute maxSurge/maxUnavailable and setCanaryScale replicas times the number of hosts. Percentages
 * already scale. Placement then spreads each revision evenly (hosts-provider.ts, pickRemovals), so a batch of a
 * rolling update is one batch per host.
 */
import type { CutoverConfig, ServiceConfig } from './schema.ts';

export function scaleForHosts(config: CutoverConfig): CutoverConfig {
  const n = config.hosts?.length ?? 0;
  if (n <= 1) return config;
  const services = Object.fromEntries(Object.entries(config.services).map(([name, svc]) => [name, scaleService(svc, n)]));
  return { ...config, services };
}

function scaleService(svc: ServiceConfig, n: number): ServiceConfig {
  const times = <T extends number | string>(v: T): T => (typeof v === 'number' ? ((v * n) as T) : v);
  const strategy = { ...svc.strategy };
  if (strategy.rolling) strategy.rolling = { ...strategy.rolling, maxSurge: times(strategy.rolling.maxSurge), maxUnavailable: times(strategy.rolling.maxUnavailable) };
  if (strategy.canary?.steps) {
    strategy.canary = {
      ...strategy.canary,
      steps: strategy.canary.steps.map((step) =>
        'setCanaryScale' in step && step.setCanaryScale.replicas !== undefined ? { setCanaryScale: { ...step.setCanaryScale, replicas: step.setCanaryScale.replicas * n } } : step,
      ),
    };
  }
  return { ...svc, replicas: svc.replicas * n, strategy };
}
