// Every stable error code raised in src/ must be documented in docs/, so users can look it up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p, ext);
    return name.endsWith(ext) ? [p] : [];
  });
}

test('every error code in src/ is listed in docs/', () => {
  const codes = new Set<string>();
  for (const file of files('src', '.ts')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/super\(\s*'([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!);
  }
  assert.ok(codes.size >= 5, `expected to find error codes in src/, found ${codes.size}`);
  const docs = files('docs', '.md').map((f) => readFileSync(f, 'utf8')).join('\n');
  const missing = [...codes].filter((c) => !docs.includes(c));
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`);
});
