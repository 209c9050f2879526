// Routing by flag in the real proxy: a rule sends users who get a flag on (or a variant of it) to a revision, with
// the same answer Unleash's bucketing gives (checked against Cutover's evaluator, itself proven by Unleash's
// client specification).
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { FlagEvaluator } from '../../src/flags/evaluator.ts';
import { createProxy } from '../../src/proxy/proxy.ts';
import { parseRoutesState } from '../../src/proxy/contract.ts';
import type { ConfigError } from '../../src/errors.ts';
import { startUpstream, oneService, type TestUpstream } from '../helpers/upstream.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

const checkout = {
  name: 'checkout',
  enabled: true,
  strategies: [{ name: 'flexibleRollout', parameters: { rollout: '30', stickiness: 'userId', groupId: 'checkout' }, constraints: [] }],
  variants: [
    { name: 'blue', weight: 500, stickiness: 'userId', weightType: 'variable' },
    { name: 'green', weight: 500, stickiness: 'userId', weightType: 'variable' },
  ],
};

describe('flag rules in the proxy', () => {
  const cleanups = cleanupsAfter(after);
  let a: TestUpstream;
  let b: TestUpstream;
  before(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    cleanups.push(() => a.close(), () => b.close());
  });

  async function proxyWith(flag: Record<string, unknown>): Promise<string> {
    const proxy = createProxy({ maxRequestsPerClient: 0 });
    cleanups.push(() => proxy.close(0));
    await proxy.apply(oneService([{ name: '1', weightBp: 10000, ports: [a.port] }, { name: '2', weightBp: 0, ports: [b.port] }], { rules: [{ revision: '2', flag: { name: 'checkout', features: { features: [checkout] }, ...flag } }] }));
    return `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
  }
  const get = async (base: string, headers: Record<string, string>) => (await request(`${base}/`, { headers })).body.text();
  const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
  const evaluator = new FlagEvaluator({ features: [checkout] as never });

  test('users for whom the flag is on reach revision 2, the others follow the weights; the answer is the evaluator\'s', async () => {
    const base = await proxyWith({ userKey: { header: 'x-user-id' } });
    const got = await Promise.all(users.map((u) => get(base, { 'x-user-id': u })));
    const want = users.map((u) => (evaluator.isEnabled('checkout', { userId: u }) ? 'b' : 'a'));
    assert.deepEqual(got, want);
    const on = want.filter((x) => x === 'b').length;
    assert.ok(on > 80 && on < 160, `${on} of 400 users on (30 % rollout)`);
    assert.equal(await get(base, {}), 'a', 'a request without a user follows the weights');
  });

  test('a variant rule matches only users who get that variant; the user can come from a cookie', async () => {
    const base = await proxyWith({ variant: 'green', userKey: { cookie: 'uid' } });
    const got = await Promise.all(users.map((u) => get(base, { cookie: `theme=dark; uid=${u}` })));
    const want = users.map((u) => {
      const v = evaluator.getVariant('checkout', { userId: u });
      return v.enabled && v.name === 'green' ? 'b' : 'a';
    });
    assert.deepEqual(got, want);
    assert.ok(want.includes('a') && want.includes('b'));
  });

  test('a table whose flag rule has no way to find the user is refused at the boundary, with the field named', () => {
    const table = oneService([{ name: '1', weightBp: 10000, ports: [a.port] }], { rules: [{ revision: '1', flag: { name: 'checkout', userKey: {}, features: { features: [checkout] } } }] });
    assert.throws(() => parseRoutesState(table), (err: ConfigError) => err.code === 'CONFIG_INVALID' && err.issues.some((i) => i.path === 'services.0.rules.0.flag.userKey' && /exactly one of header or cookie/.test(i.message)));
  });
});
