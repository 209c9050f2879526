// The data plane never depends on the control plane: kill -9 the controller
// mid-canary under load, and nothing fails; start it again and the rollout
// resumes at its step with the same instances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../helpers/engine.ts';
import { LoadGenerator } from '../helpers/load.ts';

test('kill -9 of the controller mid-canary: zero failed requests, same PIDs, rollout resumes at its step', async () => {
  const engine = await Engine.start({
    service: `    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 5s, killAfter: 2s }
    strategy: { canary: { steps: [ { setWeight: 50 }, { pause: {} }, { setWeight: 100 } ] } }`,
  });
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 to be Healthy');
    const load = new LoadGenerator({ url: engine.url, clients: 4, slowClients: 1, slowMs: 2000, postClients: 1 });
    const started = await engine.cli('deploy', 'web', '--version', 'v2', '--env', 'APP_VERSION=v2');
    assert.equal(started.code, 0, started.stderr);
    await engine.until(async () => (await engine.status()).phase === 'Paused', 'the canary to pause');
    const before = await engine.status();

    load.resetCounts();
    await new Promise((r) => setTimeout(r, 1000));
    const pidsBefore = Object.keys(load.report.pids).sort();
    await engine.killController();
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(load.report.failed, 0, `requests failed while the controller was dead: ${load.report.failures.join('; ')}`);
    assert.deepEqual(Object.keys(load.report.pids).sort(), pidsBefore, 'the same instances keep serving');
    assert.ok((load.report.versions.v1 ?? 0) > 0 && (load.report.versions.v2 ?? 0) > 0, 'the split stays in place');

    await engine.up();
    const after = await engine.status();
    assert.equal(after.phase, 'Paused');
    assert.equal(after.stepIndex, before.stepIndex, 'the rollout resumes at its step');
    assert.equal(after.weight, before.weight);
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(Object.keys(load.report.pids).sort(), pidsBefore, 'the restarted controller re-adopted the same instances');

    const promote = await engine.cli('promote', 'web', '--wait');
    assert.equal(promote.code, 0, promote.stdout + promote.stderr);
    const report = await load.stop();
    assert.deepEqual(report.failures, []);
    assert.equal((await engine.status()).stableRevision?.version, 'v2');
  } finally {
    await engine.destroy();
  }
});
