// The status users see (and `deploy --wait` trusts) never runs ahead of the
// proxy: once it says the new revision is stable, the old one is out of the
// table. Driven through the admin API, where a route push takes real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';

test('when status first reports the rollout complete, the proxy no longer routes to the old revision', async () => {
  const h = await new Harness({ viaAdmin: true, service: { replicas: 2, strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } } } }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    // Poll as often as the event loop allows, so the first "complete" status is caught as it appears.
    let routedAtCompletion: string[] | undefined;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const s = h.status();
      if (s.phase === 'Healthy' && s.stableRevision?.version === 'v2') {
        routedAtCompletion = h.proxy
          .routes()
          .services.flatMap((svc) => svc.revisions)
          .filter((r) => r.weightBp > 0 && r.instances.length > 0)
          .map((r) => r.version ?? r.name);
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(routedAtCompletion, ['v2'], 'at the first complete status only v2 takes traffic');
  } finally {
    await h.destroy();
  }
});
