/**
 * The proxy as one JavaScript file, which the proxy container of each host runs on a stock Node image (no
 * node_modules to ship). `npm run build` writes it next to the compiled code; a checkout without it (tests, a
 * development tree) bundles the sources here with esbuild, in well under a second.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE_FILE = 'proxy-bundle.mjs';
/** dist/ (or src/ when run from the sources). */
const CODE_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const ENTRY = join(dirname(CODE_ROOT), 'src', 'proxy', 'main.ts');

let cached: Promise<string> | undefined;

/** The bundle's text, read or made once per process (every host's proxy, and every check that restarts one, uses it). */
export function proxyBundle(): Promise<string> {
  const built = join(CODE_ROOT, BUNDLE_FILE);
  if (!cached) {
    cached = existsSync(built) ? Promise.resolve(readFileSync(built, 'utf8')) : bundle();
    cached.catch(() => (cached = undefined)); // a failed bundling is tried again next time
  }
  return cached;
}

/** Bundles src/proxy/main.ts; `outDir` writes it there as well (the build). */
export async function bundle(outDir?: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Only a terminal gets pretty logs, and a container has none.
    external: ['pino-pretty'],
    // Bundled CommonJS dependencies call require().
    banner: { js: "import { createRequire as __cutoverRequire } from 'node:module'; const require = __cutoverRequire(import.meta.url);" },
    write: false,
    logLevel: 'silent',
  });
  const text = out.outputFiles[0]!.text;
  if (outDir) writeFileSync(join(outDir, BUNDLE_FILE), text);
  return text;
}
