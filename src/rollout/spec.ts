/** From the service config to what the planners and the runtime need. */
import type { ServiceConfig, StrategyConfig, StrategyName, TemplateConfig } from '../config/schema.ts';
import { LEGACY_TEMPLATE, legacyTemplate } from '../analysis/templates.ts';
import { blueGreenSchema, canarySchema, experimentSchema, rollingSchema, shadowSchema } from '../config/schema.ts';
import type { InstanceSpec, Probe, StopOptions } from '../runtime/provider.ts';
import type { ManageOptions } from './interfaces.ts';
import type { PlanSpec } from './state.ts';
import type { Revision } from './types.ts';

/**
 * The strategy block a rollout uses: the configured one when it matches
 * `name` (a deploy may pick another with --strategy), else that strategy's defaults.
 */
export function strategyFor(cfg: ServiceConfig, name: StrategyName): StrategyConfig {
  if (cfg.strategy[name]) return cfg.strategy;
  if (name === 'canary') return { canary: canarySchema.parse({}) };
  if (name === 'blueGreen') return { blueGreen: blueGreenSchema.parse({}) };
  if (name === 'shadow') return { shadow: shadowSchema.parse({}) };
  if (name === 'experiment') return { experiment: experimentSchema.parse({}) };
  return { rolling: rollingSchema.parse({}) };
}

/** `hosts`: with `hosts:`, how many (cfg's counts are already totals, see config/hosts-scale.ts). */
export function planSpec(cfg: ServiceConfig, name: StrategyName, hosts = 1): PlanSpec {
  const strategy = strategyFor(cfg, name);
  return { replicas: cfg.replicas, progressDeadlineSeconds: cfg.progressDeadlineSeconds, strategy, templates: templatesOf(cfg, strategy), ...(hosts > 1 ? { hosts } : {}) };
}

/** The service's analysis templates, plus the builtin one the short canary form stands for. */
export function templatesOf(cfg: ServiceConfig, strategy: StrategyConfig): Record<string, TemplateConfig> {
  const templates = { ...cfg.analysis?.templates };
  const a = strategy.canary?.analysis;
  if (a && !('templates' in a)) templates[LEGACY_TEMPLATE] = legacyTemplate(a);
  return templates;
}

export function stopOptions(cfg: ServiceConfig): StopOptions {
  return { signal: cfg.shutdown.signal, killAfterMs: cfg.shutdown.killAfter };
}

export function instanceSpec(rev: Revision, extraEnv: Record<string, string> = {}): InstanceSpec {
  const c = rev.container;
  const container = c ? { container: { image: c.digest, port: c.port, ...(c.cpus !== undefined ? { cpus: c.cpus } : {}), ...(c.memoryBytes !== undefined ? { memoryBytes: c.memoryBytes } : {}) } } : {};
  return { service: rev.service, revision: rev.number, version: rev.version, command: rev.command, cwd: rev.cwd, env: { ...rev.env, ...extraEnv }, ...container };
}

/** `drain` runs before the runtime stops an instance that failed liveness. */
export function manageOptions(cfg: ServiceConfig, spec: InstanceSpec, drain?: ManageOptions['drain']): ManageOptions {
  return {
    readiness: probe(cfg.readiness),
    ...(cfg.liveness ? { liveness: probe(cfg.liveness) } : {}),
    stop: stopOptions(cfg),
    ...(drain ? { drain } : {}),
    spec,
  };
}

function probe(p: ServiceConfig['readiness']): Probe {
  return { ...(p.path ? { path: p.path } : {}), intervalMs: p.interval, timeoutMs: p.timeout, failureThreshold: p.failureThreshold, successThreshold: p.successThreshold };
}
