/**
 * Notifications: (1) time from an event committed to the store to its signed delivery reaching a receiver (50
 * events, spaced at random), with the dispatcher's 200 ms pass; (2) a burst of 1000 events drained to one receiver
 * (8 attempts in flight; each attempt's outcome is one fsync'd SQLite transaction). `npm run bench -- notify`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../src/config/load.ts';
import { Dispatcher } from '../src/notify/dispatcher.ts';
import { resolveWebhooks } from '../src/notify/webhook.ts';
import { silentLogger } from '../src/shared/log.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import { startReceiver } from '../test/helpers/webhook-receiver.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-notify-'));
const store = new SqliteStore({ stateDir: dir });
const rx = await startReceiver({ secret: 'bench' });
const cfg = parseConfigText(`services:\n  web: { listen: 18080, run: x }\nnotifications:\n  webhooks:\n    - { name: a, url: "${rx.url}", secret: bench, events: ["*"] }\n`);
const dispatcher = new Dispatcher({ store, webhooks: resolveWebhooks(cfg.notifications, dir), logger: silentLogger });
dispatcher.start();
try {
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const seen = rx.got.length;
    const t = performance.now();
    store.appendEvents([{ service: 'web', time: Date.now(), type: 'RolloutStarted', reason: 'bench' }]);
    while (rx.got.length === seen) await sleep(1);
    latencies.push(performance.now() - t);
    await sleep(Math.random() * 100);
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(0);
  console.log(`event → delivery: median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms (50 events)`);

  const before = rx.got.length;
  const t0 = performance.now();
  store.appendEvents(Array.from({ length: 1000 }, () => ({ service: 'web', time: Date.now(), type: 'StepCompleted', reason: 'bench' })));
  while (rx.got.length < before + 1000) await sleep(5);
  const ms = performance.now() - t0;
  console.log(`burst: 1000 events delivered in ${ms.toFixed(0)} ms (${(1000 / (ms / 1000)).toFixed(0)} deliveries/s); signatures valid: ${rx.got.every((g) => g.signatureValid)}`);
} finally {
  await dispatcher.stop();
  store.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
}
