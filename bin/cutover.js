#!/usr/bin/env node
// Entry point. In a source checkout the TypeScript runs through tsx; a published
// package ships the compiled dist/ instead.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
