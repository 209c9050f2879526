// A bad version is detected by canary analysis and rolled back without anyone
// calling abort: traffic returns to stable and --wait reports the failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../helpers/engine.ts';
import { LoadGenerator } from '../helpers/load.ts';

test('canary analysis aborts a version that answers 500s and sends every request back to stable', async () => {
  const engine = await Engine.start({
    service: `    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 3s, killAfter: 1s }
    strategy:
      canary:
        steps: [ { setWeight: 30 }, { pause: { duration: 60s } }, { setWeight: 100 } ]
        analysis: { interval: 1s, maxErrorRate: 0.05, minRequests: 10, failureLimit: 0 }`,
  });
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy');
    const load = new LoadGenerator({ url: engine.url, clients: 4, slowClients: 0 });
    const t0 = Date.now();
    const r = await engine.cli('deploy', 'web', '--version', 'bad', '--env', 'APP_VERSION=bad', '--env', 'ERROR_RATE=0.5', '--wait');
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.code, 1, `--wait must exit 1 when analysis aborts the rollout\n${r.stdout}\n${r.stderr}`);
    const s = await engine.status();
    assert.equal(s.phase, 'Degraded');
    assert.equal(s.weight, 0);
    assert.equal(s.stableRevision?.version, 'v1');
    const events = await engine.cli('events', 'web');
    assert.match(events.stdout, /AnalysisFailed|RolloutAborted/);
    assert.match(events.stdout, /errorRate/);
    console.log(`# bad version detected and rolled back ${seconds.toFixed(1)} s after deploy`);

    assert.ok(load.report.failed > 0, 'the bad version did answer errors while it had traffic');
    load.resetCounts();
    const failedBefore = load.report.failed;
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(load.report.failed, failedBefore, 'no more failures once traffic is back on stable');
    assert.deepEqual(Object.keys(load.report.versions), ['v1']);
    await load.stop();
  } finally {
    await engine.destroy();
  }
});
