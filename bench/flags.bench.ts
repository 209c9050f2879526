/**
 * Flags: (1) local evaluation rate of Cutover's evaluator against the official
 * Unleash Node SDK's (unleash-client) on the same flags and contexts in the
 * same run, one core; (2) how long a flag change takes to reach connected
 * OpenFeature providers (admin request → every provider has the new snapshot),
 * p50/p99 with 200 providers connected over SSE to a control API in its own
 * process. Goals: ≥ 5 M evaluations/s; ≤ 100 ms p99 with 200 connected.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProviderEvents } from '@openfeature/server-sdk';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { FlagEvaluator } from '../src/flags/evaluator.ts';
import { parseFeaturesDocument, type FeaturesDocument } from '../src/flags/model.ts';
import { CutoverProvider } from '../src/flags/openfeature/index.ts';

const EVAL_MS = Number(process.env.EVAL_MS ?? 2000);
const CLIENTS = Number(process.env.CLIENTS ?? 200);
const CHANGES = Number(process.env.CHANGES ?? 50);

const doc: FeaturesDocument = parseFeaturesDocument({
  version: 2,
  features: [
    { name: 'on', enabled: true, strategies: [] },
    { name: 'off', enabled: false, strategies: [{ name: 'default' }] },
    { name: 'rollout-25', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 25 } }] },
    { name: 'user-list', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'u1,u2,u3,u4,u5,u6,u7,u8' } }] },
    {
      name: 'targeted',
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: 50 },
          constraints: [
            { contextName: 'environment', operator: 'IN', values: ['production'] },
            { contextName: 'plan', operator: 'STR_STARTS_WITH', values: ['pro'], caseInsensitive: true },
          ],
        },
      ],
    },
    { name: 'variants', enabled: true, strategies: [], variants: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
  ],
});
const contexts = Array.from({ length: 1024 }, (_, i) => ({ userId: `user-${i * 7919}`, environment: i % 2 ? 'production' : 'dev', properties: { plan: i % 3 ? 'Pro-monthly' : 'free' } }));
let sink = 0;

function rate(fn: (name: string, ctx: (typeof contexts)[number]) => unknown, name: string): number {
  // Warm up, then count full passes over the contexts for EVAL_MS.
  for (let i = 0; i < 50_000; i++) fn(name, contexts[i & 1023]!);
  let n = 0;
  const end = performance.now() + EVAL_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 1024; i++) if (fn(name, contexts[i]!)) sink++;
    n += 1024;
  }
  return n / (EVAL_MS / 1000);
}

async function evaluationRate(): Promise<void> {
  const ours = new FlagEvaluator(doc);
  const sdk = new Unleash({
    appName: 'bench',
    url: 'http://127.0.0.1:1/api',
    refreshInterval: 0,
    disableMetrics: true,
    disableAutoStart: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: doc.features as never },
  });
  sdk.on('error', () => {});
  sdk.on('warn', () => {});
  await sdk.start().catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
  for (const c of contexts.slice(0, 50)) {
    for (const f of doc.features) if (ours.isEnabled(f.name, c) !== sdk.isEnabled(f.name, c)) throw new Error(`evaluators disagree on ${f.name}`);
  }
  console.log(`\nLocal evaluation (isEnabled; getVariant for "variants"), ${EVAL_MS} ms per cell, 1024 rotating contexts, one core`);
  console.log('flag          cutover M/s   unleash-client M/s   ratio');
  const ratios: number[] = [];
  for (const f of doc.features) {
    const isVariant = f.name === 'variants';
    const a = rate(isVariant ? (n, c) => ours.getVariant(n, c).enabled : (n, c) => ours.isEnabled(n, c), f.name);
    const b = rate(isVariant ? (n, c) => sdk.getVariant(n, c as never).enabled : (n, c) => sdk.isEnabled(n, c as never), f.name);
    ratios.push(a / b);
    console.log(`${f.name.padEnd(14)}${(a / 1e6).toFixed(2).padStart(11)}${(b / 1e6).toFixed(2).padStart(21)}${(a / b).toFixed(1).padStart(8)}×`);
  }
  // Every evaluation a user never seen before: no remembered bucket, the hash every time.
  let fresh = 0;
  const freshCtx = { userId: '', environment: 'production', properties: { plan: 'pro' } };
  const unique = (name: string) => {
    const end = performance.now() + EVAL_MS;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 1024; i++) {
        freshCtx.userId = `u${fresh++}`;
        if (ours.isEnabled(name, freshCtx)) sink++;
      }
      n += 1024;
    }
    return n / (EVAL_MS / 1000);
  };
  console.log(`cutover with a new userId every time (no remembered bucket): rollout-25 ${(unique('rollout-25') / 1e6).toFixed(2)} M/s, targeted ${(unique('targeted') / 1e6).toFixed(2)} M/s`);
  sdk.destroy();
  const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
  console.log(`geometric mean ratio: ${geo.toFixed(1)}× (sink ${sink % 10})`);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function pushLatency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-flagbench-'));
  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./apps/flag-server.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const providers: CutoverProvider[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      server.once('exit', (code) => reject(new Error(`flag server exited with ${code}`)));
    });
    const admin = (method: string, path: string, body: unknown) =>
      fetch(url + path, { method, headers: { authorization: 'Bearer bench-admin', 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
    await admin('PUT', '/api/v1/flags/pushed', { enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 0 } }] });
    let t0 = 0;
    let samples: number[] = [];
    let pending = 0;
    let done: () => void = () => {};
    for (let i = 0; i < CLIENTS; i++) {
      const p = new CutoverProvider({ url, token: 'bench-client' });
      p.events.addHandler(ProviderEvents.ConfigurationChanged, () => {
        samples.push(performance.now() - t0);
        if (--pending === 0) done();
      });
      providers.push(p);
    }
    await Promise.all(providers.map((p) => p.initialize()));
    const all: number[] = [];
    const firsts: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      samples = [];
      pending = CLIENTS;
      const arrived = new Promise<void>((r) => (done = r));
      t0 = performance.now();
      await admin('POST', '/api/v1/flags/pushed/rollout', { percent: i % 100 });
      await Promise.race([arrived, new Promise((r) => setTimeout(r, 5000))]);
      if (samples.length !== CLIENTS) throw new Error(`change ${i}: ${samples.length}/${CLIENTS} providers got it within 5 s`);
      all.push(...samples);
      firsts.push(Math.min(...samples));
      await new Promise((r) => setTimeout(r, 20));
    }
    all.sort((a, b) => a - b);
    console.log(`\nChange → provider: ${CHANGES} changes (admin HTTP request, SQLite commit with fsync, SSE push) × ${CLIENTS} providers connected`);
    firsts.sort((a, b) => a - b);
    console.log(`all providers:  p50 ${quantile(all, 0.5).toFixed(1)} ms   p99 ${quantile(all, 0.99).toFixed(1)} ms   max ${all.at(-1)!.toFixed(1)} ms   (goal: p99 ≤ 100 ms)`);
    console.log(`first provider: p50 ${quantile(firsts, 0.5).toFixed(1)} ms   p99 ${quantile(firsts, 0.99).toFixed(1)} ms   (the request and the commit; the rest is 200 providers sharing this process's core)`);
  } finally {
    await Promise.all(providers.map((p) => p.onClose()));
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
await evaluationRate();
await pushLatency();
