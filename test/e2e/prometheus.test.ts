// A real Prometheus finds every instance of a real `cutover up` through the discovery endpoint, scrapes the apps'
// own metrics with Cutover's labels, and scrapes the proxy's and the controller's metrics through the control API;
// PromQL computes a latency quantile per revision from the proxy's histogram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../helpers/engine.ts';
import { serverCommand } from '../helpers/apps/paths.ts';
import { LoadGenerator } from '../helpers/load.ts';
import { startPrometheus } from '../helpers/prometheus.ts';
import { waitFor } from '../helpers/wait.ts';
import { dashboardQueries, withVariables } from '../helpers/dashboard.ts';

interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  health: string;
  lastError: string;
}
interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

test('Prometheus discovers the instances through Cutover, scrapes them and the proxy, and PromQL gets a p95 per revision', async () => {
  const engine = await Engine.start({
    run: JSON.stringify(serverCommand()),
    service: `    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 2s, killAfter: 1s }
    metrics: { path: /metrics }
    strategy:
      canary:
        steps: [ { setWeight: 50 }, { pause: {} } ]
        analysis: { interval: 1s, maxErrorRate: 0.5, minRequests: 5 }`,
  });
  const token = readFileSync(join(engine.dir, '.cutover', 'token'), 'utf8').trim();
  const prom = await startPrometheus({ sdUrl: `http://127.0.0.1:${engine.apiPort}/api/v1/prometheus/targets`, token, scrapeIntervalMs: 500 });
  let load: LoadGenerator | undefined;
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy');
    const deployed = await engine.cli('deploy', 'web', '--version', 'v2');
    assert.equal(deployed.code, 0, deployed.stderr);
    await engine.until(async () => (await engine.status()).phase === 'Paused', 'canary paused at 50 %');
    load = new LoadGenerator({ url: engine.url, clients: 2, slowClients: 0, gapMs: 5 });

    // Discovery: 2 stable instances and 1 canary, each scraped with its labels; the controller and the proxy too.
    const context = () => prom.log().slice(-2000);
    const targets = await waitFor(
      async () => {
        const data = await prom.api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets', { state: 'active' });
        const all = data.activeTargets;
        return all.length === 5 && all.every((t) => t.health === 'up') ? all : undefined;
      },
      'five targets up (3 instances, controller, proxy)',
      { timeoutMs: 30_000, everyMs: 250, ignoreErrors: true, context },
    );
    const instances = targets.filter((t) => t.scrapePool === 'cutover-instances').map((t) => t.labels);
    const running = (await engine.status()).revisions;
    assert.equal(instances.length, 3);
    for (const l of instances) {
      assert.equal(l.service, 'web');
      assert.match(l.instance!, /^web-/);
      assert.equal(l.job, 'cutover-instances');
      const rev = running.find((r) => r.version === l.version)!;
      assert.ok(rev, `version ${l.version} is running`);
      assert.equal(l.role, rev.role);
      assert.equal(l.revision, l.version === 'v1' ? '1' : '2');
    }
    assert.deepEqual(instances.map((l) => l.role).sort(), ['canary', 'stable', 'stable']);
    assert.deepEqual(targets.filter((t) => t.scrapePool === 'cutover').map((t) => t.labels.job).sort(), ['cutover-controller', 'cutover-proxy']);

    const query = (q: string) => prom.api<{ resultType: string; result: VectorSample[] }>('/api/v1/query', { query: q });
    // The apps' own metrics carry Cutover's labels.
    const appSeries = await waitFor(async () => {
      const r = await query('sum by (revision, version, role) (app_requests_total)');
      return r.result.length === 2 ? r.result : undefined;
    }, 'app metrics of both revisions', { timeoutMs: 20_000, everyMs: 250, context });
    assert.deepEqual(appSeries.map((s) => `${s.metric.revision}/${s.metric.version}/${s.metric.role}`).sort(), ['1/v1/stable', '2/v2/canary']);

    // The issue's own example: a quantile of the app's histogram for one version, through the labels discovery gave.
    const appP95 = await waitFor(async () => {
      const r = await query('histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{version="v2"}[5s])) by (le))');
      return r.result.length === 1 && Number.isFinite(Number(r.result[0]!.value[1])) ? r.result[0] : undefined;
    }, "the app's p95 for v2", { timeoutMs: 20_000, everyMs: 250, context });
    assert.ok(Number(appP95.value[1]) > 0);

    // The proxy's series keep their own instance label (honor_labels) and sum per revision.
    const perInstance = await query('cutover_proxy_requests_total{class="2xx"}');
    assert.deepEqual([...new Set(perInstance.result.map((s) => s.metric.instance))].sort(), instances.map((l) => l.instance).sort());

    // histogram_quantile over the proxy's histogram, per revision, across instances.
    const p95 = await waitFor(
      async () => {
        const r = await query('histogram_quantile(0.95, sum by (revision, le) (rate(cutover_proxy_request_duration_seconds_bucket{service="web"}[5s])))');
        const finite = r.result.filter((s) => Number.isFinite(Number(s.value[1])));
        return finite.length === 2 ? finite : undefined;
      },
      'a p95 per revision',
      { timeoutMs: 20_000, everyMs: 250, context },
    );
    for (const s of p95) {
      const seconds = Number(s.value[1]);
      assert.ok(seconds > 0 && seconds < 60, `p95 of revision ${s.metric.revision} is ${seconds} s`);
    }
    assert.deepEqual(p95.map((s) => s.metric.revision).sort(), ['1', '2']);

    // The controller's metrics: the rollout is paused at 50 %.
    const phase = await query('cutover_rollout_phase{service="web"} == 1');
    assert.deepEqual(phase.result.map((s) => s.metric.phase), ['Paused']);
    const weight = await query('cutover_rollout_canary_weight_ratio{service="web"}');
    assert.equal(Number(weight.result[0]!.value[1]), 0.5);
    // The engine counts every analysis verdict (the canary is judged while it waits at 50 % under load).
    await waitFor(async () => {
      const r = await query('sum(cutover_analysis_measurements_total{service="web", verdict="Successful"}) > 0');
      return r.result.length === 1;
    }, 'successful analysis measurements counted', { timeoutMs: 20_000, everyMs: 250, context });
    // Every query of docs/grafana/cutover.json runs on a real Prometheus; all but those about ended rollouts have data now.
    const noDataYet = /cutover_(rollouts_total|rollout_duration_seconds)/;
    for (const q of dashboardQueries()) {
      const expr = withVariables(q.expr, 'web');
      if (q.panel.startsWith('variable ')) continue; // label_values() is Grafana's, not PromQL
      if (noDataYet.test(expr)) {
        await query(expr); // still has to parse
        continue;
      }
      // A rate() over a series that only just appeared needs two scrapes inside its window: wait for them.
      await waitFor(async () => ((await query(expr)).result.length > 0 ? true : undefined), `dashboard panel "${q.panel}" has data: ${expr}`, {
        timeoutMs: 15_000,
        everyMs: 250,
        context,
      });
    }
    console.log(`# p95 per revision from Prometheus: ${p95.map((s) => `${s.metric.revision}=${(Number(s.value[1]) * 1000).toFixed(1)}ms`).join(', ')}`);
  } finally {
    await load?.stop();
    await prom.stop();
    await engine.destroy();
  }
});
