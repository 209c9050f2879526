#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ (built by `npm run build`,
// which `npm ci` and `npm start` run; the test runner builds its own copy and
// names it in CUTOVER_DIST). A checkout without a build falls back to the
// TypeScript sources through tsx, which starts about a second slower.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const dist = process.env.CUTOVER_DIST
  ? pathToFileURL(`${process.env.CUTOVER_DIST}/cli/main.js`)
  : new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
