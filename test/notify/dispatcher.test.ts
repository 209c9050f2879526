// The webhook dispatcher against a real SQLite store and real HTTP receivers on port 0: signatures checked by the
// receiver, filters, retries, giving up, the Slack shape, and pending deliveries carried across a restart.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfigText } from '../../src/config/load.ts';
import { Dispatcher } from '../../src/notify/dispatcher.ts';
import { resolveWebhooks } from '../../src/notify/webhook.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { freePort } from '../helpers/engine.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanups = cleanupsAfter(after);
const SECRET = 's3cr3t-never-shown';

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-notify-'));
  const store = new SqliteStore({ stateDir: dir });
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => store.close());
  const start = (webhooksYaml: string, s = store) => {
    const cfg = parseConfigText(`services:\n  web: { listen: 18080, run: x }\n  api: { listen: 18081, run: x }\nnotifications:\n  webhooks:\n${webhooksYaml}`);
    const d = new Dispatcher({ store: s, webhooks: resolveWebhooks(cfg.notifications, dir), logger, pollMs: 20 });
    d.start();
    cleanups.push(() => d.stop());
    return d;
  };
  return { dir, store, lines, logger, start };
}

const started = (service: string, revision?: number, reason = 'deploy v2') => ({ service, time: Date.parse('2026-12-07T08:00:00Z'), type: 'RolloutStarted', reason, ...(revision ? { revision } : {}) });

describe('webhook dispatcher', () => {
  test('a delivery carries the JSON payload and a signature the receiver verifies; secrets show nowhere', async () => {
    const f = fixture();
    const rx = await startReceiver({ secret: SECRET });
    cleanups.push(() => rx.close());
    f.store.createRevision({ service: 'web', version: 'v1', command: 'x', cwd: '/', env: {}, strategy: 'canary', configHash: 'a', createdAt: 1 });
    f.store.createRevision({ service: 'web', version: 'v2', command: 'x', cwd: '/', env: {}, strategy: 'canary', configHash: 'b', createdAt: 2 });
    const d = f.start(`    - { name: ops, url: "${rx.url}", secret: ${SECRET}, events: [RolloutStarted] }\n`);
    const [event] = f.store.appendEvents([started('web', 2)]);
    await waitFor(() => rx.got.length === 1, 'the delivery');
    const got = rx.got[0]!;
    assert.equal(got.signatureValid, true, `signature ${got.headers['x-cutover-signature']}`);
    assert.match(String(got.headers['x-cutover-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-cutover-event'], 'RolloutStarted');
    const body = JSON.parse(got.body);
    assert.equal(got.headers['x-cutover-delivery'], body.delivery);
    assert.deepEqual(body, {
      delivery: body.delivery,
      event: 'RolloutStarted',
      eventId: event!.id,
      service: 'web',
      revision: 2,
      version: 'v2',
      reason: 'deploy v2',
      time: '2026-12-07T08:00:00.000Z',
      summary: 'web: rollout of v2 (revision 2) started — deploy v2',
    });
    await waitFor(() => f.store.listDeliveries()[0]?.state === 'delivered', 'the delivery marked delivered');
    const [stored] = f.store.listDeliveries();
    assert.deepEqual([stored!.attempts, stored!.lastStatus, stored!.lastError], [1, 200, null]);
    const report = JSON.stringify(d.report());
    assert.ok(!report.includes(SECRET) && !report.includes('/hooks/cutover'), report);
    assert.match(report, /"target":"http:\/\/127\.0\.0\.1:\d+","format":"json"/);
    assert.ok(!f.lines.join('').includes(SECRET));
  });

  test('each hook gets only the events and services its filters name; flag changes belong to no service', async () => {
    const f = fixture();
    const [a, b, c] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    cleanups.push(() => a!.close(), () => b!.close(), () => c!.close());
    f.start(
      `    - { name: a, url: "${a!.url}", events: ["Rollout*"], services: [web] }\n` +
        `    - { name: b, url: "${b!.url}", events: ["Flag*"] }\n` +
        `    - { name: c, url: "${c!.url}", services: [api] }\n`,
    );
    f.store.appendEvents([started('web'), started('api'), { ...started('web'), type: 'InstanceReady' }, { ...started('web'), type: 'StepCompleted' }]);
    f.store.applyFlagChange({ putFlags: [{ name: 'checkout', definition: { name: 'checkout', enabled: true, strategies: [] }, updatedAt: 1 }] }, [
      { time: 1, kind: 'flag', name: 'checkout', type: 'created', actor: 'admin', before: null, after: null },
    ]);
    const last = f.store.appendEvents([{ ...started('api'), type: 'RolloutCompleted' }])[0]!;
    await waitFor(() => f.store.outboxCursor('events') === last.id && f.store.listDeliveries({ state: 'pending' }).length === 0, 'every delivery done');
    const seen = (rx: typeof a) => rx!.accepted().map((p) => `${p.event}:${p.service ?? (p.flag as { name: string }).name}`);
    assert.deepEqual(seen(a), ['RolloutStarted:web']);
    assert.deepEqual(seen(b), ['FlagCreated:checkout']);
    assert.deepEqual(seen(c).sort(), ['RolloutCompleted:api', 'RolloutStarted:api']);
    assert.deepEqual((b!.accepted()[0]!.flag as object), { name: 'checkout', actor: 'admin' });
  });

  test('a 500 is retried with backoff; the retry carries the same delivery id, body and signature', async () => {
    const f = fixture();
    const rx = await startReceiver({ secret: SECRET, answer: (n) => (n === 0 ? 500 : 200) });
    cleanups.push(() => rx.close());
    f.start(`    - { name: ops, url: "${rx.url}", secret: ${SECRET}, backoff: { initial: 50ms, max: 1s } }\n`);
    f.store.appendEvents([started('web')]);
    await waitFor(() => f.store.listDeliveries()[0]?.state === 'delivered', 'the delivery delivered', 10_000);
    assert.equal(rx.got.length, 2);
    const [first, second] = rx.got;
    assert.equal(second!.headers['x-cutover-delivery'], first!.headers['x-cutover-delivery']);
    assert.equal(second!.body, first!.body);
    assert.equal(second!.headers['x-cutover-signature'], first!.headers['x-cutover-signature']);
    assert.ok(second!.signatureValid);
    const [d] = f.store.listDeliveries();
    assert.deepEqual([d!.attempts, d!.lastStatus], [2, 200]);
    const retry = f.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'webhook delivery failed; will retry');
    assert.ok(retry && retry.error === 'HTTP 500' && retry.retryInMs >= 25 && retry.retryInMs <= 50, JSON.stringify(retry));
  });

  test('after maxAttempts a delivery is given up: an error in the log and a NotificationFailed event', async () => {
    const f = fixture();
    const rx = await startReceiver({ answer: () => 503 });
    cleanups.push(() => rx.close());
    f.start(`    - { name: pager, url: "${rx.url}", maxAttempts: 3, backoff: { initial: 10ms, max: 20ms } }\n`);
    const [event] = f.store.appendEvents([{ ...started('web', 2), type: 'RolloutAborted', reason: 'analysis failed' }]);
    await waitFor(() => f.store.listDeliveries()[0]?.state === 'failed', 'the delivery given up', 10_000);
    assert.equal(rx.got.length, 3);
    const [d] = f.store.listDeliveries();
    assert.deepEqual([d!.attempts, d!.lastStatus, d!.lastError], [3, 503, 'HTTP 503']);
    const failed = f.store.listEvents({ service: 'web' }).filter((e) => e.type === 'NotificationFailed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.revision, 2);
    assert.match(failed[0]!.reason, new RegExp(`webhook pager gave up on RolloutAborted \\(event ${event!.id}\\) after 3 attempts: HTTP 503`));
    const error = f.lines.map((l) => JSON.parse(l)).find((l) => l.level === 50);
    assert.equal(error?.msg, 'webhook delivery failed; gave up');
    assert.equal(error?.hook, 'pager');
    // The give-up event is never delivered itself (two failing hooks would feed each other forever).
    const cursorPast = await waitFor(() => f.store.outboxCursor('events') >= failed[0]!.id, 'the give-up event read');
    assert.ok(cursorPast);
    assert.equal(f.store.listDeliveries().length, 1);
  });

  test('a receiver that does not answer within the timeout is a failed attempt', async () => {
    const f = fixture();
    const rx = await startReceiver({ answer: (n) => (n === 0 ? 0 : 204) });
    cleanups.push(() => rx.close());
    f.start(`    - { name: slow, url: "${rx.url}", timeout: 100ms, backoff: { initial: 10ms, max: 20ms } }\n`);
    f.store.appendEvents([started('web')]);
    await waitFor(() => f.store.listDeliveries()[0]?.state === 'delivered', 'the delivery delivered on its second attempt');
    assert.equal(rx.got.length, 2);
    const retry = f.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'webhook delivery failed; will retry');
    assert.equal(retry?.error, 'no answer within 100 ms');
    assert.deepEqual([f.store.listDeliveries()[0]!.attempts, f.store.listDeliveries()[0]!.lastStatus], [2, 204]);
  });

  test('format slack sends { text, blocks } with the reason escaped, so it can never become a link or a mention', async () => {
    const f = fixture();
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    f.start(`    - { name: slack, url: "${rx.url}", format: slack }\n`);
    f.store.appendEvents([{ ...started('web'), type: 'AnalysisFailed', reason: 'errorRate 0.2 > 0.05 <!channel> <http://x.example|see>' }]);
    await waitFor(() => rx.got.length === 1, 'the delivery');
    const body = JSON.parse(rx.got[0]!.body);
    assert.deepEqual(Object.keys(body), ['text', 'blocks']);
    assert.equal(body.text, 'web: AnalysisFailed — errorRate 0.2 &gt; 0.05 &lt;!channel&gt; &lt;http://x.example|see&gt;');
    assert.deepEqual(body.blocks.map((b: { type: string }) => b.type), ['section', 'context']);
    assert.equal(body.blocks[0].text.type, 'mrkdwn');
    assert.equal(body.blocks[0].text.text, 'web: AnalysisFailed — errorRate 0.2 &gt; 0.05 &lt;!channel&gt; &lt;http://x.example|see&gt;');
    assert.match(body.blocks[1].elements[0].text, /^\*AnalysisFailed\* · service \*web\* · 2026-12-07T08:00:00.000Z$/);
  });

  test('events committed while no dispatcher ran (a kill -9 before its pass) are delivered by the next one', async () => {
    const f = fixture();
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const events = f.store.appendEvents([started('web'), { ...started('web'), type: 'RolloutCompleted' }]);
    assert.deepEqual(f.store.listDeliveries(), []);
    f.start(`    - { name: ops, url: "${rx.url}" }\n`);
    await waitFor(() => rx.got.length === 2 && f.store.listDeliveries({ state: 'delivered' }).length === 2, 'both delivered');
    assert.deepEqual(rx.accepted().map((p) => p.eventId).sort(), events.map((e) => e.id).sort());
  });

  test('a pending delivery survives a restart and arrives once; a hook removed from the config drops its own', async () => {
    const f = fixture();
    const port = await freePort();
    const first = f.start(
      `    - { name: ops, url: "http://127.0.0.1:${port}/in", backoff: { initial: 10ms, max: 50ms } }\n` +
        `    - { name: gone, url: "http://127.0.0.1:${port}/old", backoff: { initial: 10ms, max: 50ms } }\n`,
    );
    f.store.appendEvents([started('web')]);
    await waitFor(() => f.store.listDeliveries().every((d) => d.attempts >= 1) && f.store.listDeliveries().length === 2, 'both attempted while the receiver is down');
    await first.stop();
    f.store.close();
    const reopened = new SqliteStore({ stateDir: f.dir });
    cleanups.push(() => reopened.close());
    const rx = await startReceiver({ port });
    cleanups.push(() => rx.close());
    f.start(`    - { name: ops, url: "http://127.0.0.1:${port}/in" }\n`, reopened);
    await waitFor(() => reopened.listDeliveries({ state: 'pending' }).length === 0, 'both settled');
    assert.equal(rx.got.length, 1);
    const byHook = Object.fromEntries(reopened.listDeliveries().map((d) => [d.hook, d]));
    assert.equal(byHook.ops!.state, 'delivered');
    assert.equal(byHook.ops!.id, rx.got[0]!.headers['x-cutover-delivery']);
    assert.equal(byHook.gone!.state, 'failed');
    assert.equal(byHook.gone!.lastError, 'webhook "gone" is no longer in the config');
  });
});
