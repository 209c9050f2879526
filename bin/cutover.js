#!/usr/bin/env node
// Entry point. Runs the compiled dist/ (built by `npm run build`, which `npm ci`,
// `npm start` and `npm test` run); a checkout without a build falls back to the
// TypeScript sources through tsx, which starts about a second slower.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
