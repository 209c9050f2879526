// The control API in-process (Fastify inject) over a real controller, proxy and processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import type { RolloutStatus } from '../../src/rollout/types.ts';
import { Harness } from '../rollout/helpers/harness.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('control API', () => {
  let h: Harness;
  let api: FastifyInstance;

  before(async () => {
    h = await new Harness({ service: { replicas: 1, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } } }).start();
    await h.until(() => h.status().phase === 'Healthy', 'first revision healthy');
    api = buildApi({ control: h.controller, token: TOKEN });
  });
  after(async () => {
    await api?.close();
    await h?.destroy();
  });

  test('every route but /healthz needs the bearer token', async () => {
    assert.equal((await api.inject({ url: '/healthz' })).statusCode, 200);
    const none = await api.inject({ url: '/api/v1/services' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'UNAUTHORIZED');
    const wrong = await api.inject({ url: '/api/v1/services', headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.statusCode, 401);
    const deploy = await api.inject({ method: 'POST', url: '/api/v1/services/web/deploy', payload: { version: 'x' } });
    assert.equal(deploy.statusCode, 401, 'a write without a token changes nothing');
    assert.equal(h.status().canaryRevision, null);
  });

  test('status lists services with phase and revisions', async () => {
    const res = await api.inject({ url: '/api/v1/services', headers: auth });
    assert.equal(res.statusCode, 200);
    const [web] = res.json() as RolloutStatus[];
    assert.equal(web!.service, 'web');
    assert.equal(web!.phase, 'Healthy');
    assert.equal(web!.stableRevision?.version, 'v1');
    assert.equal(web!.revisions[0]!.ready, 1);
    assert.equal(web!.certificates, undefined, 'a plain-HTTP service has no certificates');
    const certs = await api.inject({ url: '/api/v1/certificates', headers: auth });
    assert.deepEqual([certs.statusCode, certs.json()], [200, []]);
    assert.equal((await api.inject({ url: '/api/v1/certificates?service=nope', headers: auth })).statusCode, 404);
  });

  test('bad requests get a 4xx that names the problem, and change nothing', async () => {
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['/api/v1/services/web/deploy', {}, 400, /version/],
      ['/api/v1/services/web/deploy', { version: 'v2', colour: 'blue' }, 400, /colour|unrecognized/i],
      ['/api/v1/services/web/deploy', { version: 'v2', env: { 'BAD-NAME': 'x' } }, 400, /env/],
      ['/api/v1/services/web/deploy', { version: 'v2', strategy: 'yolo' }, 400, /strategy/],
      ['/api/v1/services/nope/deploy', { version: 'v2' }, 404, /nope/],
      ['/api/v1/services/web/promote', {}, 409, /no rollout in progress/],
      ['/api/v1/services/web/undo', { toRevision: 'one' }, 400, /toRevision/],
      ['/api/v1/services/web/retry', undefined, 409, /retry/],
    ];
    for (const [url, payload, status, message] of cases) {
      const res = await api.inject({ method: 'POST', url, headers: auth, ...(payload !== undefined ? { payload: payload as object } : {}) });
      assert.equal(res.statusCode, status, `${url} ${JSON.stringify(payload)} → ${res.body}`);
      const body = res.json() as { code: string; message: string };
      assert.ok(body.code, 'errors carry a stable code');
      assert.match(body.message, message);
    }
    const broken = await api.inject({ method: 'POST', url: '/api/v1/services/web/deploy', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"version":' });
    assert.equal(broken.statusCode, 400);
    assert.equal((await api.inject({ url: '/api/v1/nothing', headers: auth })).statusCode, 404);
    assert.equal(h.status().canaryRevision, null, 'no rollout was started by a bad request');
    assert.equal(h.status().phase, 'Healthy');
  });

  test('a dry run lists the transitions and changes nothing', async () => {
    const res = await api.inject({ method: 'POST', url: '/api/v1/services/web/deploy?dryRun=true', headers: auth, payload: { version: 'v2' } });
    assert.equal(res.statusCode, 200, res.body);
    const plan = res.json() as { revision: { number: number; version: string }; steps: Array<{ type: string; weights: Record<string, number> }> };
    assert.equal(plan.revision.version, 'v2');
    const types = plan.steps.map((s) => s.type);
    assert.equal(types[0], 'RolloutStarted');
    assert.equal(types[types.length - 1], 'RolloutCompleted');
    assert.ok(plan.steps.some((s) => s.weights[plan.revision.number] === 50), 'the canary step at 50% is in the plan');
    assert.equal(h.status().canaryRevision, null, 'nothing was deployed');
    const history = (await api.inject({ url: '/api/v1/services/web/revisions', headers: auth })).json() as unknown[];
    assert.equal(history.length, 1, 'no revision was created');
  });

  test('deploy, promote and history through the API', async () => {
    const res = await api.inject({ method: 'POST', url: '/api/v1/services/web/deploy', headers: auth, payload: { version: 'v2', env: { APP_VERSION: 'v2' } } });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal((res.json() as RolloutStatus).canaryRevision?.version, 'v2');
    await h.until(() => h.status().phase === 'Paused', 'canary paused');
    const promoted = await api.inject({ method: 'POST', url: '/api/v1/services/web/promote', headers: auth, payload: { full: true } });
    assert.equal(promoted.statusCode, 200, promoted.body);
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 stable');
    const history = (await api.inject({ url: '/api/v1/services/web/revisions', headers: auth })).json() as Array<{ version: string }>;
    assert.deepEqual(history.map((r) => r.version), ['v1', 'v2']);
    const events = (await api.inject({ url: '/api/v1/events?service=web', headers: auth })).json() as Array<{ type: string; id: number }>;
    assert.ok(events.some((e) => e.type === 'RolloutCompleted'));
    const since = events[events.length - 1]!.id;
    const none = (await api.inject({ url: `/api/v1/events?service=web&since=${since}`, headers: auth })).json() as unknown[];
    assert.deepEqual(none, []);
  });

  test('env values are masked in history and dry runs (keys and a short keyed hash), unless showSecrets=true', async () => {
    const secret = 'postgres://app:hunter2@db.internal/app';
    const dry = await api.inject({ method: 'POST', url: '/api/v1/services/web/deploy?dryRun=true', headers: auth, payload: { version: 'v3', env: { DATABASE_URL: secret, APP_VERSION: 'v3' } } });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.doesNotMatch(dry.body, /hunter2/);
    const masked = (dry.json() as { revision: { env: Record<string, string> } }).revision.env;
    assert.deepEqual(Object.keys(masked).sort(), ['APP_VERSION', 'DATABASE_URL']);
    assert.match(masked.DATABASE_URL!, /^masked:[0-9a-f]{12}$/);
    const clear = await api.inject({ method: 'POST', url: '/api/v1/services/web/deploy?dryRun=true&showSecrets=true', headers: auth, payload: { version: 'v3', env: { DATABASE_URL: secret } } });
    assert.equal((clear.json() as { revision: { env: Record<string, string> } }).revision.env.DATABASE_URL, secret);

    const res = await api.inject({ url: '/api/v1/services/web/revisions', headers: auth });
    const history = res.json() as Array<{ version: string; env: Record<string, string> }>;
    assert.doesNotMatch(res.body, /"APP_VERSION":"v2"/);
    const v2 = history.find((r) => r.version === 'v2')!.env.APP_VERSION!;
    assert.match(v2, /^masked:[0-9a-f]{12}$/);
    const again = (await api.inject({ url: '/api/v1/services/web/revisions', headers: auth })).json() as typeof history;
    assert.equal(again.find((r) => r.version === 'v2')!.env.APP_VERSION, v2, 'the same value shows the same hash');
    assert.notEqual(masked.APP_VERSION, v2, 'a changed value shows a changed hash');
    const shown = (await api.inject({ url: '/api/v1/services/web/revisions?showSecrets=true', headers: auth })).json() as typeof history;
    assert.equal(shown.find((r) => r.version === 'v2')!.env.APP_VERSION, 'v2');
  });
});
