// Every stable error code raised in src/ must be documented, so users can look it up:
// in docs/errors.md, the one page the CLI and src/errors.ts point to.
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

/** Codes of the typed errors: `super('CODE'` in a CutoverError subclass, or `new CutoverError('CODE'`. */
function cutoverErrorCodes(sources: string[]): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sources) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:super|new CutoverError)\(\s*'([A-Z][A-Z0-9_]+)'/g)) codes.set(m[1]!, file);
  }
  return codes;
}

const SOURCES = files('src', '.ts');
const ERRORS_MD = readFileSync('docs/errors.md', 'utf8');
/** A code counts as documented in errors.md when it is the first cell of a table row. */
const documented = new Set([...ERRORS_MD.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));

test('every error code in src/ is listed in docs/', () => {
  const codes = cutoverErrorCodes(SOURCES);
  assert.ok(codes.size >= 5, `expected to find error codes in src/, found ${codes.size}`);
  const docs = files('docs', '.md').map((f) => readFileSync(f, 'utf8')).join('\n');
  const missing = [...codes.keys()].filter((c) => !docs.includes(c));
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`);
});

test('every code of every errors file is in docs/errors.md, with its status', () => {
  const errorFiles = SOURCES.filter((f) => /^src[\\/](?:[^\\/]+[\\/])?errors\.ts$/.test(f));
  assert.ok(errorFiles.length >= 6, `expected src/errors.ts and src/*/errors.ts, found ${errorFiles.join(', ')}`);
  const fromErrorFiles = cutoverErrorCodes(errorFiles);
  assert.ok(fromErrorFiles.size >= 30, `found only ${fromErrorFiles.size} codes in ${errorFiles.join(', ')}`);
  // Typed errors declared elsewhere (the CLI's, the engine's) too.
  const all = cutoverErrorCodes(SOURCES);
  const missing = [...all].filter(([code]) => !documented.has(code)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(missing, [], `add a row to docs/errors.md for: ${missing.join(', ')}`);
  // Each row has a status cell: a number, "the API's"/"the proxy's", or a dash for a cut response.
  for (const row of ERRORS_MD.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)) {
    assert.match(row[2]!, /^(\d{3}|the \w+'s|—)/, `status of ${row[1]} in docs/errors.md`);
  }
});

test('codes the servers answer with and the proxy puts in 502s are in docs/errors.md too', () => {
  const codes = new Set<string>();
  for (const file of SOURCES) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!);
    for (const m of text.matchAll(/'(UPSTREAM_[A-Z0-9_]+)'/g)) codes.add(m[1]!);
  }
  assert.ok(codes.has('INTERNAL') && codes.has('UPSTREAM_CLOSED'), [...codes].join());
  const missing = [...codes].filter((c) => !documented.has(c));
  assert.deepEqual(missing, [], `add a row to docs/errors.md for: ${missing.join(', ')}`);
});
