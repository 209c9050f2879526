// A new revision that never becomes ready, or crash-loops, fails its rollout
// by itself and leaves the stable revision serving every request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../helpers/engine.ts';
import { LoadGenerator } from '../helpers/load.ts';

const base = `    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 500ms }
    shutdown: { drainTimeout: 2s, killAfter: 1s }
    progressDeadlineSeconds: 3
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }`;

for (const [name, run] of [
  ['never ready', `node -e "setInterval(() => {}, 1000)"`],
  ['crash-looping', `node -e "process.exit(3)"`],
] as const) {
  test(`a ${name} revision fails by its deadline and leaves stable untouched`, async () => {
    const engine = await Engine.start({ service: base });
    try {
      await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 to be Healthy');
      const load = new LoadGenerator({ url: engine.url, clients: 2, slowClients: 0 });
      const r = await engine.cli('deploy', 'web', '--version', 'bad', '--run', run, '--wait');
      assert.equal(r.code, 1, `--wait must exit 1 for a failed rollout\n${r.stdout}\n${r.stderr}`);
      const s = await engine.status();
      assert.equal(s.phase, 'Degraded');
      assert.equal(s.stableRevision?.version, 'v1');
      const report = await load.stop();
      assert.deepEqual(report.failures, []);
      assert.deepEqual(Object.keys(report.versions), ['v1']);
      const events = await engine.cli('events', 'web');
      assert.match(events.stdout, /ProgressDeadlineExceeded|CrashLoop|RolloutAborted|RolloutFailed/);
    } finally {
      await engine.destroy();
    }
  });
}
