/** Building an immutable Revision from the config and a deploy request. */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { ServiceConfig, StrategyName } from '../config/schema.ts';
import { strategyName } from '../config/schema.ts';
import type { NewRevision } from '../store/store.ts';
import type { DeployRequest, Revision } from './types.ts';

/**
 * The revision a deploy creates. Unset fields come from `current` (the
 * revision serving now) or, for the first one, the config; env is merged
 * (request over current). Relative cwd resolves against `baseDir`.
 */
export function buildRevision(service: string, cfg: ServiceConfig, req: DeployRequest, current: Revision | undefined, now: number, baseDir = process.cwd()): NewRevision {
  const command = req.run ?? current?.command ?? cfg.run;
  const cwdRaw = req.cwd ?? current?.cwd ?? cfg.cwd ?? '.';
  const cwd = isAbsolute(cwdRaw) ? cwdRaw : resolve(baseDir, cwdRaw);
  const env = { ...(current?.env ?? cfg.env), ...req.env };
  const strategy: StrategyName = req.strategy ?? strategyName(cfg.strategy);
  const base = { service, version: req.version, command, cwd, env, strategy, ...(req.migration ? { migration: req.migration } : {}) };
  return { ...base, configHash: configHash(base), createdAt: now };
}

/** sha256 over the fields that define what runs; key order does not matter. */
export function configHash(fields: Omit<NewRevision, 'configHash' | 'createdAt'>): string {
  const env = Object.fromEntries(Object.entries(fields.env).sort(([a], [b]) => a.localeCompare(b)));
  const canonical = JSON.stringify([fields.service, fields.version, fields.command, fields.cwd, env, fields.strategy, fields.migration ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}
