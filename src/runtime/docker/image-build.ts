/**
 * `build:` in cutover.yaml: the service's image built from a context directory by the Docker Engine (the one that
 * runs the instances, so nothing needs a registry), as `docker build` would, and pinned by its image id. The context
 * is sent as a tar without what .dockerignore excludes (paths, directories and `*`/`?` patterns; `!` exceptions are
 * not supported and are reported). A failed build is IMAGE_BUILD_FAILED with the builder's last lines, and nothing
 * is rolled out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { ImageBuildError } from '../errors.ts';
import type { PulledImage, PullProgress } from './image-pull.ts';

export interface BuildRequest {
  /** Directory sent to the builder. */
  context: string;
  /** Relative to the context; default Dockerfile. */
  dockerfile?: string;
  args?: Record<string, string>;
  /** name:tag the image gets. */
  tag: string;
}

export async function buildImage(docker: Docker, req: BuildRequest, onProgress?: PullProgress): Promise<PulledImage> {
  const context = resolve(req.context);
  const dockerfile = req.dockerfile ?? 'Dockerfile';
  if (!existsSync(join(context, dockerfile))) throw new ImageBuildError(req.tag, `no ${dockerfile} in ${context}`);
  const ignored = dockerignore(context, dockerfile);
  const stream = tar.pack(context, { ignore: (name) => ignored(relative(context, name)) });
  let out: Array<{ error?: string; stream?: string }>;
  try {
    const progress = await docker.buildImage(stream, { t: req.tag, dockerfile, buildargs: req.args ?? {}, rm: true, forcerm: true });
    out = await new Promise((ok, fail) =>
      docker.modem.followProgress(progress, (err: Error | null, res: Array<{ error?: string; stream?: string }>) => (err ? fail(err) : ok(res)), (e: { stream?: string }) => {
        const line = e.stream?.trim();
        if (line) onProgress?.(line);
      }),
    );
  } catch (err) {
    throw new ImageBuildError(req.tag, (err as Error).message, err);
  }
  const failed = out.find((o) => o.error);
  if (failed) {
    const tail = out.flatMap((o) => (o.stream ?? '').split('\n')).filter(Boolean).slice(-5).join(' | ');
    throw new ImageBuildError(req.tag, `${failed.error}${tail ? ` (last output: ${tail})` : ''}`);
  }
  const info = (await docker.getImage(req.tag).inspect()) as { Id: string };
  return { image: req.tag, digest: info.Id };
}

/** A matcher for the context's .dockerignore (the Dockerfile itself is always sent). */
export function dockerignore(context: string, dockerfile = 'Dockerfile'): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return ignoreMatcher(text, dockerfile);
}

export function ignoreMatcher(text: string, dockerfile = 'Dockerfile'): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => l.replace(/^\/+|\/+$/g, '').replace(/^\.\//, ''))
    .map((p) => new RegExp(`^${globToRegExp(p)}(/.*)?$`));
  return (path) => {
    const p = path.split(sep).join('/');
    if (p === dockerfile || p === '' || p === '.') return false;
    return patterns.some((re) => re.test(p));
  };
}

/** A .dockerignore pattern as a regular expression: `*` within a path segment, `**` across any number of them (none too). */
function globToRegExp(pattern: string): string {
  return pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '\u0001')
    .replace(/\*\*/g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\u0001/g, '(?:.*/)?')
    .replace(/\u0000/g, '.*');
}
