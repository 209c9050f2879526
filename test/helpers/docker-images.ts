/**
 * Test images built on the daemon under test, since no registry is
 * reachable: a base image holding this machine's `node` binary and the
 * shared libraries it links (from `ldd`), and app images FROM it. Built
 * through the Engine API's build endpoint with a tar context.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { serverApp } from './apps/paths.ts';
import { buildImage as buildFromContext } from '../../src/runtime/docker/image-build.ts';

export const BASE_IMAGE = 'cutover-test/node:1';
export const APP_IMAGE = 'cutover-test/app:1';
/** The app's port inside the container. */
export const APP_PORT = 8080;

/** Builds the base image and the test server's image (test/helpers/apps/server.mjs); returns the app image's tag. */
export async function buildTestImages(docker: Docker): Promise<string> {
  await buildImage(docker, BASE_IMAGE, 'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/usr/bin/node"]\n', baseRootfs());
  await buildAppImage(docker, APP_IMAGE, {});
  return APP_IMAGE;
}

/** An image of the test server; `env` bakes options into it (APP_CRASH_AFTER_MS makes a crash-looping image). */
export async function buildAppImage(docker: Docker, tag: string, env: Record<string, string>): Promise<string> {
  const envLines = Object.entries(env).map(([k, v]) => `ENV ${k}=${v}\n`).join('');
  await buildImage(docker, tag, `FROM ${BASE_IMAGE}\nCOPY server.mjs /app/server.mjs\nENV APP_HOST=0.0.0.0\n${envLines}CMD ["/app/server.mjs"]\n`, (dir) => copyFileSync(serverApp, join(dir, 'server.mjs')));
  return tag;
}

async function buildImage(docker: Docker, tag: string, dockerfile: string, fill: (dir: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-image-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    fill(dir);
    await buildFromContext(docker, { context: dir, tag });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** rootfs/usr/bin/node and every library `ldd` lists, at their paths. */
function baseRootfs(): (dir: string) => void {
  return (dir) => {
    const node = '/usr/bin/node';
    const libs = execFileSync('ldd', [process.execPath], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
      .filter((p): p is string => !!p);
    for (const [from, to] of [[process.execPath, node], ...libs.map((l) => [l, l])] as Array<[string, string]>) {
      const dest = join(dir, 'rootfs', to);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(from, dest);
    }
    mkdirSync(join(dir, 'rootfs', 'tmp'), { recursive: true });
  };
}
