/** Building an immutable Revision from the config and a deploy request. */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { ServiceConfig, StrategyName } from '../config/schema.ts';
import { strategyName } from '../config/schema.ts';
import type { RevisionContainer } from '../store/records.ts';
import type { NewRevision } from '../store/store.ts';
import type { DeployRequest, Revision } from './types.ts';

/**
 * The revision a deploy creates. Unset fields come from `current` (the
 * revision serving now) or, for the first one, the config; env is merged
 * (request over current). Relative cwd resolves against `baseDir`.
 */
export function buildRevision(service: string, cfg: ServiceConfig, req: DeployRequest, current: Revision | undefined, now: number, baseDir = process.cwd(), pinned?: PinnedImage): NewRevision {
  const command = req.run ?? current?.command ?? cfg.run ?? '';
  const cwdRaw = req.cwd ?? current?.cwd ?? cfg.cwd ?? '.';
  const cwd = isAbsolute(cwdRaw) ? cwdRaw : resolve(baseDir, cwdRaw);
  const env = { ...(current?.env ?? cfg.env), ...req.env };
  const strategy: StrategyName = req.strategy ?? strategyName(cfg.strategy);
  const container = pinned ? containerOf(cfg, pinned, current?.container) : current?.container;
  const base = { service, version: req.version, command, cwd, env, strategy, ...(req.migration ? { migration: req.migration } : {}), ...(container ? { container } : {}) };
  return { ...base, configHash: configHash(base), createdAt: now };
}

/** sha256 over the fields that define what runs; key order does not matter. */
export function configHash(fields: Omit<NewRevision, 'configHash' | 'createdAt'>): string {
  const env = Object.fromEntries(Object.entries(fields.env).sort(([a], [b]) => a.localeCompare(b)));
  // Revisions without an image hash as they did before images existed.
  const image = fields.container ? [fields.container.digest, fields.container.port, fields.container.cpus ?? null, fields.container.memoryBytes ?? null] : [];
  const canonical = JSON.stringify([fields.service, fields.version, fields.command, fields.cwd, env, fields.strategy, fields.migration ?? null, ...image]);
  return createHash('sha256').update(canonical).digest('hex');
}

export interface PinnedImage {
  image: string;
  digest: string;
}

/** Where a revision's image comes from: pulled by reference, or built from the service's `build:` context. */
export type ImageSource = { pull: string } | { build: { context: string; dockerfile?: string; args?: Record<string, string>; tag: string } };

/**
 * The image a deploy asked for (or the config's): `--image` first; with `build:`, a build of the context tagged
 * `<image or cutover/<service>>:<version>` at every deploy; else the config's image for a service's first container
 * revision. Undefined: keep the current revision's image.
 */
export function wantedImage(cfg: ServiceConfig, req: Pick<DeployRequest, 'image' | 'version'>, current: Revision | undefined, service: string, baseDir = process.cwd()): ImageSource | undefined {
  if (req.image) return { pull: req.image };
  if (cfg.build) {
    const name = (cfg.image ?? `cutover/${service}`).replace(/:[^/:]+$/, '');
    const tag = `${name}:${(req.version ?? 'latest').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128)}`;
    const { context, dockerfile, args } = cfg.build;
    return { build: { context: resolve(baseDir, context), tag, ...(dockerfile ? { dockerfile } : {}), ...(args ? { args } : {}) } };
  }
  if (current?.container) return undefined;
  return cfg.image ? { pull: cfg.image } : undefined;
}

/** The reference an image source will have, before it is pinned (dry runs). */
export function imageName(source: ImageSource): string {
  return 'pull' in source ? source.pull : source.build.tag;
}

function containerOf(cfg: ServiceConfig, pinned: PinnedImage, current: RevisionContainer | undefined): RevisionContainer {
  const port = cfg.port ?? current?.port ?? 0;
  const cpus = cfg.resources?.cpus ?? current?.cpus;
  const memoryBytes = cfg.resources?.memory ?? current?.memoryBytes;
  return { image: pinned.image, digest: pinned.digest, port, ...(cpus !== undefined ? { cpus } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) };
}
