/** The provider a metric's config names. */
import type { ProviderConfig } from '../../config/analysis-schema.ts';
import { BuiltinProvider } from './builtin.ts';
import { CommandProvider } from './command.ts';
import { PrometheusProvider } from './prometheus.ts';
import type { MetricProvider } from './provider.ts';
import { WebProvider } from './web.ts';

export type { MeasureContext, MetricProvider, ProviderResult, RevisionRef } from './provider.ts';

export function providerFor(cfg: ProviderConfig): MetricProvider {
  if (cfg.builtin) return new BuiltinProvider(cfg.builtin);
  if (cfg.prometheus) return new PrometheusProvider(cfg.prometheus);
  if (cfg.web) return new WebProvider(cfg.web);
  if (cfg.command) return new CommandProvider(cfg.command);
  throw new Error('a metric needs a provider: builtin, prometheus, web or command');
}
