// Webhook delivery across a controller kill -9, on the real `cutover up`: rollout events happen while the receiver is
// down; the controller dies with their deliveries pending; after the restart each arrives exactly once, signed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, freePort } from '../helpers/engine.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';
import type { NotificationsReport } from '../../src/notify/report.ts';

const SECRET = 'e2e-hook-secret-4242';

test('kill -9 between the events and their delivery: after the restart every delivery arrives exactly once', async () => {
  const port = await freePort();
  const engine = await Engine.start({
    service: `    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 2s, killAfter: 2s }`,
    extra: `notifications:
  webhooks:
    - name: ops
      url: http://127.0.0.1:${port}/hooks/private-path
      secretEnv: HOOK_SECRET
      events: [RolloutStarted, RolloutCompleted]
      services: [web]
      maxAttempts: 50
      backoff: { initial: 200ms, max: 2s }`,
    env: { HOOK_SECRET: SECRET },
  });
  let rx: Receiver | undefined;
  const report = async (): Promise<NotificationsReport> => {
    const r = await engine.cli('notifications', '--json', '--limit', '100');
    if (r.code !== 0) throw new Error(r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stdout.includes('private-path'), r.stdout);
    return JSON.parse(r.stdout);
  };
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 to be Healthy');
    const deploy = await engine.cli('deploy', 'web', '--version', 'v2', '--wait');
    assert.equal(deploy.code, 0, deploy.stderr);
    // Four events (v1 and v2, started and completed), each attempted at least once against the closed port.
    await engine.until(async () => {
      const r = await report();
      return r.deliveries.length === 4 && r.deliveries.every((d) => d.state === 'pending' && d.attempts >= 1 && d.lastError !== null);
    }, 'four deliveries failing while the receiver is down');
    const before = await report();
    assert.deepEqual(before.webhooks.map((h) => [h.name, h.target, h.signed]), [['ops', `http://127.0.0.1:${port}`, true]]);

    await engine.killController();
    rx = await startReceiver({ secret: SECRET, port });
    await engine.up();
    await engine.until(async () => (await report()).deliveries.every((d) => d.state === 'delivered'), 'every delivery delivered after the restart');

    const after = await report();
    assert.equal(after.deliveries.length, 4);
    assert.equal(rx.got.length, 4, 'each delivery arrived once');
    assert.ok(rx.got.every((g) => g.signatureValid), 'every signature verifies');
    const ids = rx.got.map((g) => g.headers['x-cutover-delivery']).sort();
    assert.deepEqual(ids, before.deliveries.map((d) => d.id).sort(), 'the ids enqueued before the kill');
    const seen = rx.accepted().map((p) => `${p.event} ${p.version}`).sort();
    assert.deepEqual(seen, ['RolloutCompleted v1', 'RolloutCompleted v2', 'RolloutStarted v1', 'RolloutStarted v2']);
    assert.ok(!engine.log.includes(SECRET), 'the secret is never logged');
    const text = await engine.cli('notifications');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^ops +http://127\\.0\\.0\\.1:${port} +json +yes +0 +4 +0$`, 'm'));
    assert.equal(text.stdout.match(/ delivered /g)?.length, 4, text.stdout);

    const token = readFileSync(join(engine.dir, '.cutover', 'token'), 'utf8').trim();
    const bad = await request(`http://127.0.0.1:${engine.apiPort}/api/v1/notifications?state=lost`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bad.statusCode, 400);
    assert.match(await bad.body.text(), /state/);
  } finally {
    await engine.destroy();
    await rx?.close();
  }
});
