// Analysis templates with the real controller, proxy and instances: a canary answering 20 % errors aborts, a canary
// 300 ms slower than stable is caught by the comparative judge while a healthy one completes, too little traffic is
// Inconclusive (a pause, not a rollback), and a blue-green post-promotion failure switches straight back without a
// failed request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.ts';
import { Load } from './helpers/load.ts';

const golden = {
  metrics: [
    // A slow machine may have few canary requests in the first window: a few inconclusive measurements are tolerated.
    { name: 'success-rate', interval: '500ms', initialDelay: '1s', failureLimit: 1, inconclusiveLimit: 3, successCondition: 'result >= 0.95', provider: { builtin: { metric: 'successRate', minRequests: 20 } } },
  ],
};
const judge = {
  metrics: [{ name: 'vs-stable', initialDelay: '2s', interval: '500ms', count: 6, failureLimit: 1, inconclusiveLimit: 3, provider: { builtin: { compare: 'stable', minRequests: 20 } } }],
};

test('a canary answering 20 % errors is aborted by its template; the event names metric, value and condition', async () => {
  const verdicts: string[] = [];
  const h = await new Harness({
    service: { analysis: { templates: { golden } }, strategy: { canary: { analysis: { templates: ['golden'] }, steps: [{ setWeight: 50 }, { pause: {} }] } } },
    onMeasurement: (service, verdict) => verdicts.push(`${service} ${verdict}`),
  }).start();
  let load: Load | undefined;
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    load = new Load(h.url, { slow: 0 });
    await h.controller.deploy('web', { version: 'v2', env: { APP_ERROR_RATE: '0.2' } });
    await h.until(() => h.status().phase === 'Degraded', 'analysis aborted the canary');
    assert.equal(h.status().weight, 0);
    await load.stop();
    const events = h.controller.events({ service: 'web' });
    const aborted = events.find((e) => e.type === 'RolloutAborted')!;
    assert.match(aborted.reason, /metric "success-rate" failed 2 time\(s\) \(failureLimit 1\): 0\.[0-9]+, successCondition "result >= 0.95" not met/);
    const run = h.status().analysis.find((r) => r.id === 'background')!;
    assert.equal(run.phase, 'Failed');
    assert.ok(run.metrics[0]!.measurements.some((m) => m.phase === 'Failed' && Number(m.value) < 0.95), JSON.stringify(run.metrics[0]));
    // Every verdict reaches the controller's hook (the metrics count them), at least those the run counted.
    const counted = run.metrics[0]!;
    assert.ok(verdicts.length >= counted.successful + counted.failed + counted.inconclusive + counted.error, `${verdicts.length} verdicts: ${JSON.stringify(counted)}`);
    assert.ok(verdicts.filter((v) => v === 'web Failed').length >= 2, verdicts.join(', '));
  } finally {
    await load?.stop().catch(() => {});
    await h.destroy();
  }
});

test('comparative judge: a canary 300 ms slower than stable fails; a healthy canary completes', async () => {
  const h = await new Harness({
    service: { analysis: { templates: { judge } }, strategy: { canary: { steps: [{ setWeight: 50 }, { analysis: { templates: ['judge'] } }] } } },
  }).start();
  let load: Load | undefined;
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    load = new Load(h.url, { slow: 0, clients: 4 });
    await h.controller.deploy('web', { version: 'slow', env: { APP_DELAY_MS: '300' } });
    await h.until(() => h.status().phase === 'Degraded', 'the judge aborted the slow canary');
    const reason = h.controller.events({ service: 'web' }).find((e) => e.type === 'RolloutAborted')!.reason;
    assert.match(reason, /metric "vs-stable" failed 2 time\(s\).*canary worse than stable: median [\d.]+ms vs [\d.]+ms \(p=/);
    const m = h.status().analysis[0]!.metrics[0]!.measurements.at(-1)!;
    assert.ok(m.stats && m.stats['canaryMedianMs']! >= 250 && m.stats['stableMedianMs']! < 100, JSON.stringify(m.stats));

    await h.controller.deploy('web', { version: 'healthy' });
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'healthy', 'the healthy canary completed', 30_000);
    await load.stop();
    const run = h.status().analysis[0]!;
    assert.equal(run.phase, 'Successful');
    assert.equal(run.metrics[0]!.failed, 0, JSON.stringify(run.metrics[0]));
    assert.ok(run.metrics[0]!.successful >= 3, JSON.stringify(run.metrics[0]));
  } finally {
    await load?.stop().catch(() => {});
    await h.destroy();
  }
});

test('too few requests is Inconclusive: the rollout pauses for a person instead of rolling back; promote accepts', async () => {
  const h = await new Harness({
    service: { analysis: { templates: { golden } }, strategy: { canary: { steps: [{ setWeight: 50 }, { analysis: { templates: ['golden'] } }] } } },
  }).start();
  let load: Load | undefined;
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'inconclusive analysis paused the rollout', 30_000);
    const s = h.status();
    assert.equal(s.weight, 50, 'traffic stays where it was');
    assert.match(s.message, /analysis inconclusive: metric "success-rate" inconclusive 4 time\(s\) \(inconclusiveLimit 3\).*request\(s\) in the window, 20 needed/);
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.includes('AnalysisInconclusive'));
    assert.ok(!types.includes('AnalysisFailed') && !types.includes('RolloutAborted'), types.join(','));
    await h.controller.promote('web');
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'promoted past the inconclusive analysis');
  } finally {
    await load?.stop().catch(() => {});
    await h.destroy();
  }
});

test('blue-green postPromotionAnalysis: a failure switches straight back to the previous set, no failed request under load', async () => {
  const slowP99 = { metrics: [{ name: 'p99', initialDelay: '2s', interval: '500ms', failureLimit: 1, failureCondition: 'result > 200', provider: { builtin: { metric: 'latencyP99Ms', minRequests: 5 } } }] };
  const h = await new Harness({
    service: { analysis: { templates: { 'slow-p99': slowP99 } }, strategy: { blueGreen: { scaleDownDelaySeconds: 30, postPromotionAnalysis: { templates: ['slow-p99'] } } } },
  }).start();
  let load: Load | undefined;
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    const v1 = h.pids(1);
    load = new Load(h.url, { clients: 3, slow: 1 });
    await h.controller.deploy('web', { version: 'v2', env: { APP_DELAY_MS: '300' } });
    await h.until(() => (load!.versions['v2'] ?? 0) > 0, 'the switch sent traffic to v2');
    await h.until(() => h.status().phase === 'Degraded', 'post-promotion analysis failed');
    const s = h.status();
    assert.equal(s.stableRevision?.version, 'v1');
    assert.deepEqual(h.pids(1), v1, 'the previous set kept running, so the switch back was instant');
    const events = h.controller.events({ service: 'web' });
    assert.match(events.find((e) => e.type === 'RolloutAborted')!.reason, /postPromotion.*metric "p99" failed 2 time\(s\).*failureCondition "result > 200" met/);
    await h.until(() => h.pids(2).length === 0, 'the new set is gone');
    await load.stop();
    assert.deepEqual(load.failures, [], 'no failed request');
  } finally {
    await load?.stop().catch(() => {});
    await h.destroy();
  }
});
