// A failure only the app's own metrics show (users get 200, the app counts app_hidden_errors_total) is caught by an
// analysis template's PromQL query against a real Prometheus, which finds the instances through Cutover's discovery
// endpoint; the canary is rolled back under load with no failed request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, freePort } from '../helpers/engine.ts';
import { serverCommand } from '../helpers/apps/paths.ts';
import { LoadGenerator } from '../helpers/load.ts';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.ts';

test('a PromQL analysis on the app\'s own metrics rolls back a canary whose users get 200s', async () => {
  const promPort = await freePort();
  const rate = (m: string) => `sum(rate(${m}{service="{{service}}",version="{{revision.version}}"}[5s]))`;
  const engine = await Engine.start({
    run: JSON.stringify(serverCommand()),
    service: `    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 2s, killAfter: 1s }
    metrics: { path: /metrics }
    analysis:
      templates:
        hidden-errors:
          metrics:
            - name: hidden-error-rate
              interval: 1s
              initialDelay: 2s
              failureLimit: 1
              consecutiveErrorLimit: 20
              provider: { prometheus: { address: "http://127.0.0.1:${promPort}", query: '${rate('app_hidden_errors_total')} / ${rate('app_requests_total')}' } }
              successCondition: "result < 0.05"
    strategy:
      canary:
        analysis: { templates: [hidden-errors] }
        steps: [ { setWeight: 50 }, { pause: { duration: 60s } } ]`,
  });
  const token = readFileSync(join(engine.dir, '.cutover', 'token'), 'utf8').trim();
  let prom: TestPrometheus | undefined;
  let load: LoadGenerator | undefined;
  try {
    prom = await startPrometheus({ sdUrl: `http://127.0.0.1:${engine.apiPort}/api/v1/prometheus/targets`, token, scrapeIntervalMs: 500, port: promPort });
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy');
    load = new LoadGenerator({ url: engine.url, clients: 3, slowClients: 0, gapMs: 5, parse: (body) => ({ version: body }) });
    const deployed = await engine.cli('deploy', 'web', '--version', 'v2', '--env', 'APP_HIDDEN_ERROR_RATE=0.5');
    assert.equal(deployed.code, 0, deployed.stderr);
    await engine.until(async () => (await engine.status()).phase === 'Degraded', 'the canary rolled back by analysis', 60_000);
    const report = await load.stop();
    load = undefined;
    assert.deepEqual(report.failures, [], 'users never saw an error');
    assert.ok((report.versions.v2 ?? 0) > 0, `the canary served users before it was judged: ${JSON.stringify(report.versions)}`);
    const res = await fetch(`http://127.0.0.1:${engine.apiPort}/api/v1/events?service=web`, { headers: { authorization: `Bearer ${token}` } });
    const events = (await res.json()) as Array<{ type: string; reason: string }>;
    const failed = events.find((e) => e.type === 'AnalysisFailed' || (e.type === 'RolloutAborted' && /hidden-error-rate/.test(e.reason)));
    assert.ok(failed, events.map((e) => `${e.type}: ${e.reason}`).join('\n'));
    assert.match(failed.reason, /hidden-error-rate/);
    const status = await engine.status();
    assert.equal(status.stableRevision?.version, 'v1');
    assert.equal(status.weight, 0);
  } finally {
    await load?.stop();
    await prom?.stop();
    await engine.destroy();
  }
});
