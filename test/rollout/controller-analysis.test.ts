import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../helpers/apps/paths.ts';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';

const failingApp = `${shellQuote(process.execPath)} ${shellQuote(fileURLToPath(new URL('./apps/failing.mjs', import.meta.url)))}`;

test('canary analysis: a canary answering 5xx is aborted automatically, naming the metric', async () => {
  const h = await new Harness({
    service: {
      replicas: 2,
      strategy: {
        canary: {
          steps: [{ setWeight: 50 }, { pause: {} }],
          analysis: { interval: '400ms', maxErrorRate: 0.2, minRequests: 5, failureLimit: 1 },
        },
      },
    },
  }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const load = new Load(h.url, { slow: 0 });
    await h.controller.deploy('web', { version: 'bad', run: failingApp });
    await h.until(() => h.status().phase === 'Degraded', 'analysis aborted the canary');
    assert.equal(h.status().weight, 0);
    await h.until(() => h.pids(2).length === 0, 'canary removed');
    await load.stop();
    const events = h.controller.events({ service: 'web' });
    const failed = events.filter((e) => e.type === 'AnalysisFailed');
    assert.ok(failed.length >= 2, `two failed measurements before abort (failureLimit 1): ${failed.length}`);
    assert.match(failed.at(-1)!.reason, /errorRate/);
    assert.match(events.find((e) => e.type === 'RolloutAborted')!.reason, /analysis failed 2 time\(s\): errorRate [\d.]+ > 0.2/);
    assert.ok(load.failures.length > 0, 'the bad canary did get traffic');
    assert.deepEqual(Object.keys(load.versions), ['v1']);
  } finally {
    await h.destroy();
  }
});
