// The control API's dashboard side in-process (Fastify inject) over a real controller: static files, sessions,
// CSRF, the viewer token, one-time login links, instances and their logs, the stats history and the SSE stream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { FlagService } from '../../src/flags/service.ts';
import type { FlagsUpdate } from '../../src/flags/records.ts';
import type { InstanceStatus } from '../../src/rollout/types.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { waitFor } from '../helpers/wait.ts';
import { Harness } from '../rollout/helpers/harness.ts';
import { Dispatcher } from '../../src/notify/dispatcher.ts';
import { silentLogger } from '../../src/shared/log.ts';

const TOKEN = 'admin-token-0123456789';
const VIEWER = 'viewer-token-0123456789';

/** The cookie pair ("name=value") a Set-Cookie answer sets. */
function cookieOf(res: { headers: Record<string, unknown> }): string {
  const set = String(res.headers['set-cookie'] ?? '');
  return set.split(';')[0]!;
}

describe('dashboard API', () => {
  const cleanups = cleanupsAfter(after);
  let h: Harness;
  let api: FastifyInstance;
  let dir: string;

  before(async () => {
    h = await new Harness({ service: { replicas: 1, env: { API_SECRET: 'hunter2' } } }).start();
    cleanups.push(() => h.destroy());
    await h.until(() => h.status().phase === 'Healthy', 'first revision healthy');
    dir = mkdtempSync(join(tmpdir(), 'cutover-dash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Cutover</title>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    api = buildApi({ control: h.controller, token: TOKEN, viewerToken: VIEWER, dashboardDir: dir, notifications: new Dispatcher({ store: h.store, webhooks: [], logger: silentLogger }) });
    cleanups.push(() => api.close());
  });

  const session = async (token: string) => {
    const res = await api.inject({ method: 'POST', url: '/api/v1/session', payload: { token } });
    assert.equal(res.statusCode, 200, res.body);
    return { cookie: cookieOf(res), csrf: (res.json() as { csrf: string }).csrf, setCookie: String(res.headers['set-cookie']) };
  };

  test('the page and its assets are public, with a CSP; nothing outside the build is served', async () => {
    const page = await api.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/);
    const asset = await api.inject({ url: '/assets/app-1.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['cache-control'] as string, /immutable/);
    for (const url of ['/assets/../../../etc/passwd', '/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc/passwd', '/assets/nope.js']) {
      const res = await api.inject({ url });
      assert.ok(res.statusCode === 404 || res.statusCode === 401, `${url}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /root:/);
    }
    assert.equal((await api.inject({ url: '/api/v1/services' })).statusCode, 401, 'the API itself still needs a token');
    const unbuilt = buildApi({ control: h.controller, token: TOKEN, dashboardDir: join(dir, 'missing') });
    const res = await unbuilt.inject({ url: '/' });
    assert.equal(res.statusCode, 404);
    assert.match(res.body, /npm run build/);
    await unbuilt.close();
  });

  test('a session opens with the token only, in an HttpOnly SameSite=Strict cookie', async () => {
    const wrong = await api.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'nope' } });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal((await api.inject({ method: 'POST', url: '/api/v1/session', payload: {} })).statusCode, 400);
    const s = await session(TOKEN);
    assert.match(s.setCookie, /HttpOnly/);
    assert.match(s.setCookie, /SameSite=Strict/);
    assert.ok(!s.setCookie.includes(TOKEN), 'the cookie does not carry the token');
    const me = await api.inject({ url: '/api/v1/session', headers: { cookie: s.cookie } });
    assert.deepEqual([me.json().role, me.json().csrf], ['admin', s.csrf]);
    assert.equal((await api.inject({ url: '/api/v1/services', headers: { cookie: s.cookie } })).statusCode, 200);
    for (const forged of [s.cookie + 'x', s.cookie.replace('=admin.', '=viewer.'), 'cutover_session=admin.99999999999999.abc.def']) {
      assert.equal((await api.inject({ url: '/api/v1/services', headers: { cookie: forged } })).statusCode, 401, forged);
    }
  });

  test('a write with the cookie needs the CSRF header; with it, the request reaches the controller', async () => {
    const s = await session(TOKEN);
    const none = await api.inject({ method: 'POST', url: '/api/v1/services/web/pause', headers: { cookie: s.cookie } });
    assert.deepEqual([none.statusCode, none.json().code], [403, 'CSRF_TOKEN_INVALID']);
    const wrong = await api.inject({ method: 'POST', url: '/api/v1/services/web/pause', headers: { cookie: s.cookie, 'x-cutover-csrf': (s.csrf[0] === 'A' ? 'B' : 'A') + s.csrf.slice(1) } });
    assert.equal(wrong.statusCode, 403);
    assert.equal(h.status().phase, 'Healthy', 'refused writes changed nothing');
    const ok = await api.inject({ method: 'POST', url: '/api/v1/services/web/promote', headers: { cookie: s.cookie, 'x-cutover-csrf': s.csrf }, payload: {} });
    assert.deepEqual([ok.statusCode, ok.json().code], [409, 'NO_ROLLOUT_IN_PROGRESS'], 'past the access check: the controller answered');
  });

  test('the viewer token reads but cannot act, by bearer or by session', async () => {
    const bearer = { authorization: `Bearer ${VIEWER}` };
    assert.equal((await api.inject({ url: '/api/v1/services', headers: bearer })).statusCode, 200);
    const write = await api.inject({ method: 'POST', url: '/api/v1/services/web/pause', headers: bearer });
    assert.deepEqual([write.statusCode, write.json().code], [403, 'FORBIDDEN']);
    const s = await session(VIEWER);
    const promoted = s.cookie.replace('=viewer.', '=admin.');
    assert.equal((await api.inject({ url: '/api/v1/services', headers: { cookie: promoted } })).statusCode, 401, 'a viewer cookie edited to admin is void');
    const viaSession = await api.inject({ method: 'POST', url: '/api/v1/services/web/abort', headers: { cookie: s.cookie, 'x-cutover-csrf': s.csrf } });
    assert.deepEqual([viaSession.statusCode, viaSession.json().code], [403, 'FORBIDDEN']);
    const revisions = (await api.inject({ url: '/api/v1/services/web/revisions', headers: bearer })).json() as Array<{ env: Record<string, string> }>;
    const adminView = (await api.inject({ url: '/api/v1/services/web/revisions', headers: { authorization: `Bearer ${TOKEN}` } })).json() as Array<{ env: Record<string, string> }>;
    assert.ok(Object.keys(adminView[0]!.env).length > 0, 'the test revision has env to hide');
    assert.deepEqual(Object.keys(revisions[0]!.env), Object.keys(adminView[0]!.env));
    assert.ok(Object.values(revisions[0]!.env).every((v) => v === '[redacted]'), 'a viewer sees env names, not values');
    const hooks = await api.inject({ url: '/api/v1/notifications', headers: bearer });
    assert.equal(hooks.statusCode, 403, 'webhook targets and delivery errors are for the admin');
    assert.equal((await api.inject({ url: '/api/v1/notifications', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
    const link = await api.inject({ method: 'POST', url: '/api/v1/login-links', headers: bearer, payload: { role: 'admin' } });
    assert.equal(link.statusCode, 403, 'a viewer cannot mint an admin link');
    assert.equal(h.status().phase, 'Healthy');
  });

  test('a login link works once and sets the session; logging out revokes it', async () => {
    const link = await api.inject({ method: 'POST', url: '/api/v1/login-links', headers: { authorization: `Bearer ${TOKEN}` }, payload: {} });
    const { path } = link.json() as { path: string };
    const first = await api.inject({ url: path });
    assert.deepEqual([first.statusCode, first.headers.location], [303, '/']);
    const cookie = cookieOf(first);
    assert.equal((await api.inject({ url: '/api/v1/services', headers: { cookie } })).statusCode, 200);
    const again = await api.inject({ url: path });
    assert.deepEqual([again.statusCode, again.headers.location, again.headers['set-cookie']], [303, '/?login=expired', undefined]);
    assert.equal((await api.inject({ url: '/login?code=made-up' })).headers.location, '/?login=expired');

    const csrf = (await api.inject({ url: '/api/v1/session', headers: { cookie } })).json().csrf as string;
    const out = await api.inject({ method: 'POST', url: '/api/v1/session/logout', headers: { cookie, 'x-cutover-csrf': csrf } });
    assert.equal(out.statusCode, 200);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await api.inject({ url: '/api/v1/services', headers: { cookie } })).statusCode, 401);
  });

  test('a session survives a restart of the API with the same token, not a rotated one', async () => {
    const s = await session(TOKEN);
    const same = buildApi({ control: h.controller, token: TOKEN, dashboardDir: dir });
    const rotated = buildApi({ control: h.controller, token: TOKEN + 'new', dashboardDir: dir });
    try {
      assert.equal((await same.inject({ url: '/api/v1/services', headers: { cookie: s.cookie } })).statusCode, 200);
      assert.equal((await rotated.inject({ url: '/api/v1/services', headers: { cookie: s.cookie } })).statusCode, 401);
    } finally {
      await same.close();
      await rotated.close();
    }
  });

  test('instances and their log lines', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const list = (await api.inject({ url: '/api/v1/services/web/instances', headers: auth })).json() as InstanceStatus[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.ready, true);
    assert.equal(list[0]!.revision, 1);
    assert.ok(list[0]!.pid > 0 && list[0]!.port > 0);
    const logs = await api.inject({ url: `/api/v1/services/web/instances/${list[0]!.id}/logs?lines=5`, headers: auth });
    assert.equal(logs.statusCode, 200);
    assert.ok(Array.isArray(logs.json().lines) && logs.json().lines.length <= 5);
    const missing = await api.inject({ url: '/api/v1/services/web/instances/nope/logs', headers: auth });
    assert.deepEqual([missing.statusCode, missing.json().code], [404, 'INSTANCE_NOT_FOUND']);
    assert.equal((await api.inject({ url: `/api/v1/services/web/instances/${list[0]!.id}/logs?lines=0`, headers: auth })).statusCode, 400);
    assert.equal((await api.inject({ url: '/api/v1/services/nope/instances', headers: auth })).statusCode, 404);
  });

  test('the stream sends a snapshot, then a tick each second, and does not hold up close()', async () => {
    const served = buildApi({ control: h.controller, token: TOKEN, dashboardDir: dir });
    const url = await served.listen({ host: '127.0.0.1', port: 0 });
    const stop = new AbortController();
    try {
      await fetch(`${h.url}/`).then((r) => r.text());
      const res = await fetch(`${url}/api/v1/stream`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: stop.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      await waitFor(
        async () => {
          text += new TextDecoder().decode((await reader.read()).value);
          return text.includes('event: tick');
        },
        'a tick on the stream',
        { timeoutMs: 5000 },
      );
      assert.match(text, /^retry: \d+\n\nevent: snapshot\ndata: \{/);
      assert.equal((JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]!) as { flags: unknown }).flags, null, 'an API without flags says so');
      const tick = JSON.parse(/event: tick\ndata: (.*)\n/.exec(text)![1]!) as { status: Array<{ service: string }>; samples: Record<string, { revisions: Record<string, { rate: number }> }> };
      assert.equal(tick.status[0]!.service, 'web');
      assert.ok(tick.samples.web?.revisions['1'], 'the second sample of revision 1');
      const history = await fetch(`${url}/api/v1/stats?service=web`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.ok(((await history.json()) as unknown[]).length >= 1);
      assert.equal((await fetch(`${url}/api/v1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 400);
      assert.equal((await fetch(`${url}/api/v1/stream`)).status, 401);

      // A stream opened with a session ends once the session is logged out.
      const login = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
      const { csrf } = (await login.json()) as { csrf: string };
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const viaSession = await fetch(`${url}/api/v1/stream`, { headers: { cookie }, signal: stop.signal });
      assert.equal(viaSession.status, 200);
      const out = await fetch(`${url}/api/v1/session/logout`, { method: 'POST', headers: { cookie, 'x-cutover-csrf': csrf } });
      assert.equal(out.status, 200);
      const sessionReader = viaSession.body!.getReader();
      await waitFor(async () => (await sessionReader.read()).done, 'the stream of a logged-out session to end', { timeoutMs: 5000 });
    } finally {
      await served.close();
      stop.abort();
    }
  });

  test('with flags, the stream carries them: every flag in the snapshot, then a flags message after each change', async () => {
    const flags = new FlagService({ store: h.store });
    flags.set('stream-beta', { enabled: false, strategies: [{ name: 'default' }] }, { actor: 'config', reason: 'cutover.yaml' });
    const served = buildApi({ control: h.controller, token: TOKEN, viewerToken: VIEWER, dashboardDir: dir, flags });
    const url = await served.listen({ host: '127.0.0.1', port: 0 });
    const stop = new AbortController();
    try {
      // A viewer reads flags, so a viewer's stream carries them too.
      const res = await fetch(`${url}/api/v1/stream`, { headers: { authorization: `Bearer ${VIEWER}` }, signal: stop.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      const until = (re: RegExp, what: string) =>
        waitFor(
          async () => {
            text += new TextDecoder().decode((await reader.read()).value);
            return re.test(text);
          },
          what,
          { timeoutMs: 5000 },
        );
      await until(/event: snapshot\ndata: .*\n/, 'the snapshot');
      const snap = (JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]!) as { flags: FlagsUpdate }).flags;
      assert.equal(snap.revision, flags.snapshot().revision);
      const beta = snap.flags.find((f) => f.name === 'stream-beta');
      assert.equal(beta?.enabled, false);
      assert.equal(typeof beta?.updatedAt, 'number');
      assert.ok(snap.events.some((e) => e.name === 'stream-beta' && e.type === 'created' && e.actor === 'config'));
      assert.doesNotMatch(text, /event: flags\n/, 'no flags message while nothing changed');

      const before = snap.events.at(-1)!.id;
      const enabled = await fetch(`${url}/api/v1/flags/stream-beta/enable`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"reason":"ship it"}' });
      assert.equal(enabled.status, 200);
      await until(/event: flags\ndata: .*\n/, 'a flags message after the change');
      const update = JSON.parse(/event: flags\ndata: (.*)\n/.exec(text)![1]!) as FlagsUpdate;
      assert.equal(update.revision, flags.snapshot().revision);
      assert.equal(update.flags.find((f) => f.name === 'stream-beta')?.enabled, true);
      assert.deepEqual(
        update.events.map((e) => [e.id > before, e.name, e.type, e.actor, e.reason]),
        [[true, 'stream-beta', 'updated', 'admin', 'ship it']],
        'only the events since the last message',
      );
      // One message per change, not one per tick.
      await until(/event: flags\n[^]*event: tick[^]*event: tick/, 'two more ticks');
      assert.equal(text.match(/event: flags\n/g)?.length, 1);
    } finally {
      flags.apply([{ op: 'delete', name: 'stream-beta' }], { actor: 'test' });
      await served.close();
      stop.abort();
    }
  });
});
