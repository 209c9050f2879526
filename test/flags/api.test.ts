// The flag routes of the control API over HTTP: admin changes, the client token's limits, Unleash's client API
// driven by the official unleash-client SDK, and OFREP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { ADMIN, CLIENT, FlagApi, until } from './helpers.ts';

describe('flag API', () => {
  let api: FlagApi;
  before(async () => {
    api = await new FlagApi().start();
  });
  after(async () => api.destroy());

  test('the admin token changes flags; each answer carries the events; bad definitions are refused whole', async () => {
    const put = await api.call('PUT', '/api/v1/flags/checkout', { body: { enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 50 } }] } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.flag.strategies[0].parameters.rollout, '50');
    assert.equal(put.body.events[0].actor, 'admin');
    const bad = await api.call('PUT', '/api/v1/flags/broken', { body: { enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'x', operator: 'NUM_GT', value: 'ten' }] }] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'FLAG_INVALID');
    assert.deepEqual(bad.body.issues, [{ path: 'strategies.0.constraints.0.value', message: '"ten" is not a number' }]);
    assert.equal((await api.call('GET', '/api/v1/flags/broken')).status, 404);
    const roll = await api.call('POST', '/api/v1/flags/checkout/rollout', { body: { percent: 10 } });
    assert.equal(roll.body.flag.strategies[0].parameters.rollout, '10');
    const get = await api.call('GET', '/api/v1/flags/checkout');
    assert.deepEqual(get.body.events.map((e: { type: string }) => e.type), ['created', 'updated']);
    assert.equal((await api.call('POST', '/api/v1/flags/ghost/enable', { body: {} })).body.code, 'FLAG_NOT_FOUND');
  });

  test('the client token reads flags and cannot change anything or see the rest of the API', async () => {
    const rev = api.flags.snapshot().revision;
    const writes: Array<[string, string, unknown]> = [
      ['PUT', '/api/v1/flags/checkout', { enabled: false }],
      ['POST', '/api/v1/flags/checkout/disable', {}],
      ['POST', '/api/v1/flags/checkout/rollout', { percent: 0 }],
      ['DELETE', '/api/v1/flags/checkout', undefined],
      ['POST', '/api/v1/flags?replace=true', { features: [] }],
      ['POST', '/api/v1/services/web/deploy', { version: 'x' }],
    ];
    for (const [method, path, body] of writes) {
      const r = await api.call(method, path, { token: CLIENT, body });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.code, 'FORBIDDEN');
    }
    for (const path of ['/api/v1/flags', '/api/v1/client-token', '/api/v1/services']) assert.equal((await api.call('GET', path, { token: CLIENT })).status, 403, path);
    assert.equal(api.flags.snapshot().revision, rev);
    assert.equal((await api.call('GET', '/api/client/features', { token: 'wrong' })).status, 401);
    const raw = await fetch(`${api.url}/api/client/features`, { headers: { authorization: CLIENT } });
    assert.equal(raw.status, 200, 'the bare token, as Unleash SDKs send it');
    assert.equal((await api.call('GET', '/api/v1/client-token')).body.token, CLIENT);
  });

  test('GET /api/client/features has an ETag that changes with the flags (304 until then)', async () => {
    const first = await api.call('GET', '/api/client/features', { token: CLIENT, headers: { 'unleash-client-spec': '5.2.0' } });
    const etag = first.headers.get('etag')!;
    assert.ok(etag);
    assert.ok(first.body.features.some((f: { name: string }) => f.name === 'checkout'));
    const again = await api.call('GET', '/api/client/features', { token: CLIENT, headers: { 'unleash-client-spec': '5.2.0', 'if-none-match': etag } });
    assert.equal(again.status, 304);
    await api.call('POST', '/api/v1/flags/checkout/enable', { body: {} });
    await api.call('PUT', '/api/v1/flags/other', { body: { enabled: true } });
    const changed = await api.call('GET', '/api/client/features', { token: CLIENT, headers: { 'unleash-client-spec': '5.2.0', 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
  });

  test('segments go by reference to new SDKs and inline to old ones', async () => {
    await api.call('POST', '/api/v1/flags', {
      body: { features: [{ name: 'seg', enabled: true, strategies: [{ name: 'default', segments: [3] }] }], segments: [{ id: 3, constraints: [{ contextName: 'userId', operator: 'IN', values: ['ann'] }] }] },
    });
    const modern = await api.call('GET', '/api/client/features?namePrefix=seg', { token: CLIENT, headers: { 'unleash-client-spec': '5.2.0' } });
    assert.deepEqual(modern.body.features[0].strategies[0].segments, [3]);
    assert.equal(modern.body.segments[0].id, 3);
    const old = await api.call('GET', '/api/client/features?namePrefix=seg', { token: CLIENT });
    assert.equal(old.body.segments, undefined);
    assert.equal(old.body.features[0].strategies[0].segments, undefined);
    assert.deepEqual(old.body.features[0].strategies[0].constraints[0].values, ['ann']);
  });

  test('the official unleash-client SDK fetches, evaluates, follows changes, registers and reports metrics', async () => {
    await api.call('PUT', '/api/v1/flags/sdk-flag', {
      body: { enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'ann,bob' } }], variants: [{ name: 'blue', payload: { type: 'string', value: 'b' } }] },
    });
    const sdk = new Unleash({
      appName: 'sdk-test',
      url: `${api.url}/api`,
      customHeaders: { Authorization: CLIENT },
      refreshInterval: 100,
      metricsInterval: 200,
      storageProvider: new InMemStorageProvider(),
    });
    const registered = new Promise((r) => sdk.once('registered', r));
    const errors: Error[] = [];
    sdk.on('error', (e: Error) => errors.push(e));
    sdk.on('warn', () => {});
    try {
      await new Promise((r) => sdk.once('synchronized', r));
      await registered;
      assert.equal(sdk.isEnabled('sdk-flag', { userId: 'ann' }), true);
      assert.equal(sdk.isEnabled('sdk-flag', { userId: 'zed' }), false);
      assert.deepEqual(sdk.getVariant('sdk-flag', { userId: 'bob' }).payload, { type: 'string', value: 'b' });
      await api.call('POST', '/api/v1/flags/sdk-flag/disable', { body: {} });
      await until(() => !sdk.isEnabled('sdk-flag', { userId: 'ann' }), 'the SDK sees the change');
      await until(() => (api.flags.metrics('sdk-flag')[0]?.yes ?? 0) >= 2, 'metrics arrive');
      const m = api.flags.metrics('sdk-flag')[0]!;
      assert.ok(m.no >= 1);
      assert.ok((m.variants.blue ?? 0) >= 1);
      assert.ok(api.flags.clients().some((c) => c.appName === 'sdk-test'));
      const shown = await api.call('GET', '/api/v1/flags/sdk-flag');
      assert.ok(shown.body.metrics.yes >= 2);
      assert.deepEqual(errors, []);
    } finally {
      sdk.destroy();
    }
  });

  test('OFREP: one flag, all flags (with an ETag), 404 FLAG_NOT_FOUND, context mapping', async () => {
    await api.call('PUT', '/api/v1/flags/ofrep', {
      body: {
        enabled: true,
        strategies: [{ name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] }],
        variants: [{ name: 'v', payload: { type: 'json', value: '{"a":1}' } }],
      },
    });
    const hit = await api.call('POST', '/ofrep/v1/evaluate/flags/ofrep', { token: CLIENT, body: { context: { targetingKey: 'u1', plan: 'pro' } } });
    assert.equal(hit.status, 200);
    assert.deepEqual(hit.body, { key: 'ofrep', value: true, reason: 'TARGETING_MATCH', variant: 'v', metadata: { variantEnabled: true, payloadType: 'json', payloadValue: '{"a":1}' } });
    const miss = await api.call('POST', '/ofrep/v1/evaluate/flags/ofrep', { token: CLIENT, body: { context: { targetingKey: 'u1', plan: 'free' } } });
    assert.deepEqual([miss.body.value, miss.body.variant], [false, 'disabled']);
    const none = await api.call('POST', '/ofrep/v1/evaluate/flags/nope', { token: CLIENT, body: { context: {} } });
    assert.equal(none.status, 404);
    assert.equal(none.body.errorCode, 'FLAG_NOT_FOUND');
    const bad = await api.call('POST', '/ofrep/v1/evaluate/flags/ofrep', { token: CLIENT, body: { context: 'x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errorCode, 'INVALID_CONTEXT');
    const bulk = await api.call('POST', '/ofrep/v1/evaluate/flags', { token: CLIENT, body: { context: { targetingKey: 'u1', plan: 'pro' } } });
    assert.ok(bulk.body.flags.find((f: { key: string }) => f.key === 'ofrep').value);
    const etag = bulk.headers.get('etag')!;
    const same = await api.call('POST', '/ofrep/v1/evaluate/flags', { token: CLIENT, body: { context: { targetingKey: 'u1', plan: 'pro' } }, headers: { 'if-none-match': etag } });
    assert.equal(same.status, 304);
    const other = await api.call('POST', '/ofrep/v1/evaluate/flags', { token: CLIENT, body: { context: { targetingKey: 'u2' } }, headers: { 'if-none-match': etag } });
    assert.equal(other.status, 200, 'another context is another answer');
  });

  test('the admin token can read everything the client token can', async () => {
    assert.equal((await api.call('GET', '/api/client/features', { token: ADMIN })).status, 200);
  });
});
