/**
 * From templates to the metrics a run measures: the templates a reference
 * names, merged in order; the short canary form (`maxErrorRate`, `maxP99Ms`)
 * as the builtin template it stands for; and the `{{...}}` placeholders of a
 * provider replaced by the run's values (Argo's args, plus `revision.version`,
 * `revision.number` and `service`). Pure.
 */
import type { LegacyAnalysis, MetricConfig, ProviderConfig, TemplateConfig } from '../config/analysis-schema.ts';

/** The name the short canary analysis form gets among the templates. */
export const LEGACY_TEMPLATE = 'canary-limits';

/**
 * The builtin template the short form stands for: errorRate and p99 of the
 * canary, measured every `interval`; a window with fewer than minRequests is
 * Inconclusive and never pauses (inconclusiveLimit unbounded), as before.
 *
 * @example legacyTemplate({ interval: 1000, maxErrorRate: 0.05, minRequests: 20, failureLimit: 0 })
 * // { args: [], metrics: [{ name: 'errorRate', failureCondition: 'result > 0.05', provider: { builtin: { metric: 'errorRate', ... } } }] }
 */
export function legacyTemplate(cfg: LegacyAnalysis): TemplateConfig {
  const base = { interval: cfg.interval, initialDelay: 0, failureLimit: cfg.failureLimit, inconclusiveLimit: Number.MAX_SAFE_INTEGER, consecutiveErrorLimit: 4 };
  const metrics: MetricConfig[] = [];
  if (cfg.maxErrorRate !== undefined) {
    metrics.push({ ...base, name: 'errorRate', failureCondition: `result > ${cfg.maxErrorRate}`, provider: { builtin: { metric: 'errorRate', revision: 'canary', minRequests: cfg.minRequests } } });
  }
  if (cfg.maxP99Ms !== undefined) {
    metrics.push({ ...base, name: 'p99', failureCondition: `result > ${cfg.maxP99Ms}`, provider: { builtin: { metric: 'latencyP99Ms', revision: 'canary', minRequests: cfg.minRequests } } });
  }
  if (metrics.length === 0) {
    // No limit set: the canary is still measured (so status shows it), and always passes.
    metrics.push({ ...base, name: 'requests', provider: { builtin: { metric: 'requestRate', revision: 'canary', minRequests: cfg.minRequests } } });
  }
  return { args: [], metrics };
}

/** The metrics of the named templates, in order (a later template's metric of the same name replaces an earlier one). */
export function metricsOf(templates: Record<string, TemplateConfig>, names: string[]): MetricConfig[] {
  const byName = new Map<string, MetricConfig>();
  for (const n of names) for (const m of templates[n]?.metrics ?? []) byName.set(m.name, m);
  return [...byName.values()];
}

/** Argument values of a run: the templates' defaults, overridden by the reference's args. */
export function argsOf(templates: Record<string, TemplateConfig>, names: string[], given: { name: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) for (const a of templates[n]?.args ?? []) if (a.value !== undefined) out[a.name] = a.value;
  for (const a of given) out[a.name] = a.value;
  return out;
}

export interface TemplateVars {
  service: string;
  revision: { number: number; version: string };
  args: Record<string, string>;
}

/**
 * The provider with every `{{name}}` in its strings replaced; an unknown name throws (an Error measurement).
 *
 * @example substitute({ prometheus: { query: 'up{version="{{revision.version}}"}', ... } }, vars) // query 'up{version="v2"}'
 */
export function substitute(provider: ProviderConfig, vars: TemplateVars): ProviderConfig {
  const values: Record<string, string> = { service: vars.service, 'revision.version': vars.revision.version, 'revision.number': String(vars.revision.number) };
  for (const [k, v] of Object.entries(vars.args)) values[`args.${k}`] = v;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_, name: string) => {
        const r = values[name];
        if (r === undefined) throw new Error(`unknown placeholder {{${name}}}; known: ${Object.keys(values).join(', ')}`);
        return r;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(provider) as ProviderConfig;
}
