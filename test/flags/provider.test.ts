// The shipped OpenFeature provider (cutover/openfeature) connected to a running control API: it evaluates
// locally, follows changes pushed over SSE, keeps its last snapshot (and says it is stale) while the server is
// down, and catches up when it comes back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenFeature, ProviderEvents, type Client } from '@openfeature/server-sdk';
import { CutoverProvider } from '../../src/flags/openfeature/index.ts';
import { CLIENT, FlagApi, until } from './helpers.ts';

describe('OpenFeature provider', () => {
  let api: FlagApi;
  let provider: CutoverProvider;
  let client: Client;
  const seen: string[] = [];
  const changed: string[][] = [];

  before(async () => {
    api = await new FlagApi({ heartbeatMs: 100 }).start();
    api.flags.set('new-checkout', { enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'ann' } }] }, { actor: 'admin' });
    api.flags.set('banner', { enabled: true, variants: [{ name: 'red', payload: { type: 'string', value: 'Sale!' } }] }, { actor: 'admin' });
    api.flags.set('limits', { enabled: true, variants: [{ name: 'big', payload: { type: 'json', value: '{"max":10}' } }] }, { actor: 'admin' });
    provider = new CutoverProvider({ url: api.url, token: CLIENT, appName: 'shop', reconnect: { minMs: 20, maxMs: 200 } });
    for (const ev of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.ConfigurationChanged, ProviderEvents.Error]) {
      OpenFeature.addHandler(ev, (details) => {
        seen.push(ev);
        if (ev === ProviderEvents.ConfigurationChanged) changed.push(((details as { flagsChanged?: string[] } | undefined)?.flagsChanged) ?? []);
      });
    }
    await OpenFeature.setProviderAndWait(provider);
    client = OpenFeature.getClient();
  });
  after(async () => {
    await OpenFeature.close();
    await api.destroy();
  });

  test('evaluates locally from the snapshot, with Unleash semantics and the OpenFeature context mapped', async () => {
    assert.equal(await client.getBooleanValue('new-checkout', false, { targetingKey: 'ann' }), true);
    assert.equal(await client.getBooleanValue('new-checkout', false, { targetingKey: 'bob' }), false);
    const s = await client.getStringDetails('banner', 'none', { targetingKey: 'bob' });
    assert.deepEqual([s.value, s.variant, s.reason], ['Sale!', 'red', 'STATIC']);
    assert.deepEqual(await client.getObjectValue('limits', {}), { max: 10 });
    const missing = await client.getBooleanDetails('nope', true);
    assert.deepEqual([missing.value, missing.errorCode], [true, 'FLAG_NOT_FOUND']);
    const mismatch = await client.getNumberDetails('banner', 3);
    assert.deepEqual([mismatch.value, mismatch.errorCode], [3, 'TYPE_MISMATCH']);
  });

  test('a change reaches the connected provider by push, with the changed flags named', async () => {
    const rev = api.flags.snapshot().revision;
    const t0 = performance.now();
    api.flags.apply([{ op: 'disable', name: 'new-checkout' }], { actor: 'admin' });
    await until(() => provider.revision !== rev, 'the provider gets the change', 2000);
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `took ${ms} ms`);
    assert.equal(await client.getBooleanValue('new-checkout', true, { targetingKey: 'ann' }), false);
    await until(() => changed.some((c) => c.includes('new-checkout')), 'PROVIDER_CONFIGURATION_CHANGED');
    assert.deepEqual(changed.at(-1), ['new-checkout']);
  });

  test('while the server is down the last snapshot answers (stale); after its restart the provider catches up', async () => {
    await api.stop();
    await until(() => provider.isStale, 'the provider notices');
    await until(() => seen.includes(ProviderEvents.Stale), 'PROVIDER_STALE');
    const stale = await client.getBooleanDetails('new-checkout', true, { targetingKey: 'ann' });
    assert.deepEqual([stale.value, stale.reason], [false, 'STALE'], 'the last snapshot, said to be stale');
    // Changed while the provider could not hear: it must see it on reconnecting.
    const { SqliteStore } = await import('../../src/store/sqlite-store.ts');
    const { FlagService } = await import('../../src/flags/service.ts');
    const offline = new SqliteStore({ stateDir: api.dir });
    new FlagService({ store: offline }).apply([{ op: 'enable', name: 'new-checkout' }], { actor: 'admin' });
    offline.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(provider.isStale, true);
    await api.start(api.port);
    await until(() => !provider.isStale, 'the provider reconnects');
    assert.equal(await client.getBooleanValue('new-checkout', false, { targetingKey: 'ann' }), true);
    const ready = seen.lastIndexOf(ProviderEvents.Ready);
    assert.ok(ready > seen.indexOf(ProviderEvents.Stale), `READY after STALE: ${seen.join(', ')}`);
    assert.deepEqual(changed.at(-1), ['new-checkout']);
    const fresh = await client.getBooleanDetails('new-checkout', false, { targetingKey: 'ann' });
    assert.equal(fresh.reason, 'TARGETING_MATCH');
  });

  test('a stream that goes silent (no heartbeat) counts as down', async () => {
    const p = new CutoverProvider({ url: api.url, token: CLIENT, staleAfterMs: 50, reconnect: { minMs: 10_000, maxMs: 10_000 } });
    await p.initialize();
    // Heartbeats come every 100 ms, longer than the 50 ms this provider tolerates.
    await until(() => p.isStale, 'stale after silence', 2000);
    await p.onClose();
  });

  test('package.json exports it as cutover/openfeature, and the build has it', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.equal(pkg.exports['./openfeature'].default, './dist/flags/openfeature/index.js');
    const dist = process.env.CUTOVER_DIST;
    if (dist) {
      const file = join(dist, 'flags', 'openfeature', 'index.js');
      assert.ok(existsSync(file), file);
      assert.equal(typeof (await import(file)).CutoverProvider, 'function');
      assert.ok(existsSync(join(dist, 'flags', 'openfeature', 'index.d.ts')));
    }
  });
});
