// The layering of docs/architecture.md, checked on the import graph of src/: a change that makes a lower layer
// import a higher one (the proxy, runtime or store importing the controller, a planner importing I/O) fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports (static, re-exports and dynamic import()), as paths relative to src/ or bare names. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.map((s) => (s.startsWith('.') ? relative(SRC, resolve(dirname(file), s)) : s));
}

const graph = sources(SRC).map((file) => ({ file: relative(SRC, file), imports: importsOf(file) }));

function violations(from: (file: string) => boolean, forbidden: (imported: string) => boolean): string[] {
  return graph.filter((m) => from(m.file)).flatMap((m) => m.imports.filter(forbidden).map((i) => `${m.file} -> ${i}`));
}

const under = (...folders: string[]) => (p: string) => folders.some((f) => p === f || p.startsWith(`${f}/`));

test('the import graph is read (the check below is not vacuous)', () => {
  assert.ok(graph.length > 100, `${graph.length} modules`);
  assert.ok(graph.find((m) => m.file === 'rollout/controller.ts')!.imports.includes('rollout/reconcile.ts'), 'relative imports resolve to src/ paths');
  assert.ok(graph.some((m) => m.imports.includes('proxy/contract.ts')), 'someone imports the proxy contract');
});

test('the data plane, the runtime and the store never import the control plane or the edges', () => {
  const upper = under('rollout', 'api', 'cli', 'engine');
  assert.deepEqual(violations(under('proxy', 'runtime', 'store', 'shared', 'config'), upper), []);
});

test('the data plane and the runtime do not know each other or the store', () => {
  assert.deepEqual(violations(under('proxy'), under('runtime', 'store', 'migrate')), []);
  assert.deepEqual(violations(under('runtime'), under('proxy', 'store', 'migrate')), []);
});

test('shared helpers import nothing of ours but each other and the error base', () => {
  const ours = (i: string) => i.endsWith('.ts');
  assert.deepEqual(violations(under('shared'), (i) => ours(i) && !under('shared')(i) && i !== 'errors.ts'), []);
});

/** The pure part of src/analysis (docs/architecture.md): run bookkeeping, templates, conditions, the judge. */
const PURE_ANALYSIS = ['analysis/run.ts', 'analysis/templates.ts', 'analysis/conditions.ts', 'analysis/judge.ts'];

test('strategies are pure planners: no I/O modules, nothing from the proxy, runtime, store internals or engine', () => {
  const pureOk = (i: string) => under('rollout/strategies')(i) || PURE_ANALYSIS.includes(i) || ['rollout/state.ts', 'config/schema.ts', 'store/records.ts'].includes(i);
  assert.deepEqual(violations(under('rollout/strategies'), (i) => !pureOk(i)), []);
});

test('notifications are an edge feature: nothing below the edges imports src/notify', () => {
  assert.deepEqual(violations(under('proxy', 'runtime', 'store', 'shared', 'config', 'rollout', 'flags', 'migrate'), under('notify')), []);
});

test('the analysis modules the planners use are pure: config, shared helpers, store records and each other only', () => {
  const ok = (i: string) => PURE_ANALYSIS.includes(i) || under('config', 'shared')(i) || i === 'store/records.ts';
  assert.deepEqual(violations((f) => PURE_ANALYSIS.includes(f), (i) => !ok(i)), []);
});

test('the proxy evaluates flags with the pure evaluator only: never the flag service, its store or its API', () => {
  assert.deepEqual(violations(under('proxy'), (i) => under('flags')(i) && i !== 'flags/evaluator.ts'), []);
  assert.deepEqual(violations((f) => f === 'flags/evaluator.ts', (i) => ['flags/service.ts', 'flags/sse.ts', 'flags/admin-api.ts', 'flags/client-api.ts'].includes(i) || under('store', 'api', 'rollout')(i)), []);
});
