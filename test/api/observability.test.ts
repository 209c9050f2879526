// Prometheus discovery and metrics on the control API, in-process (Fastify inject) over a real controller, proxy and processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { ControllerMetrics } from '../../src/api/controller-metrics.ts';
import type { TargetGroup } from '../../src/api/prometheus-targets.ts';
import { Harness } from '../rollout/helpers/harness.ts';
import { metricFamilies, parseSamples, promtoolCheck, sampleValue } from '../helpers/exposition.ts';
import { get } from '../helpers/upstream.ts';
import { dashboardQueries, metricNames } from '../helpers/dashboard.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('control API: Prometheus discovery and metrics', () => {
  let h: Harness;
  let api: FastifyInstance;
  let metrics: ControllerMetrics;

  before(async () => {
    h = await new Harness({
      service: { replicas: 2, metrics: { path: '/app-metrics' }, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } },
    }).start();
    await h.until(() => h.status().phase === 'Healthy', 'first revision healthy');
    metrics = new ControllerMetrics(h.controller);
    api = buildApi({
      control: h.controller,
      token: TOKEN,
      metrics,
      observability: {
        instances: () => h.runtime.list(),
        metricsPath: (s) => h.config.services[s]?.metrics?.path,
        proxyMetrics: () => h.proxy.metricsText(),
      },
    });
  });
  after(async () => {
    await api?.close();
    await h?.destroy();
  });

  async function targets(query = ''): Promise<TargetGroup[]> {
    const res = await api.inject({ url: `/api/v1/prometheus/targets${query}`, headers: { ...auth, host: 'cutover.test:7070' } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as TargetGroup[];
  }

  async function scrape(url: string): Promise<string> {
    const res = await api.inject({ url, headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return res.body;
  }

  test('discovery, metrics and the proxy metrics need the token, with Bearer or bare as Prometheus sends it', async () => {
    for (const url of ['/api/v1/prometheus/targets', '/metrics', '/api/v1/metrics/proxy']) {
      assert.equal((await api.inject({ url })).statusCode, 401, url);
      assert.equal((await api.inject({ url, headers: { authorization: 'Bearer nope' } })).statusCode, 401, url);
      assert.equal((await api.inject({ url, headers: { authorization: `Basic ${TOKEN}` } })).statusCode, 401, url);
    }
    // Prometheus's http_sd_configs send the token without a scheme unless `type: Bearer` is set (prometheus/docs#2377).
    assert.equal((await api.inject({ url: '/api/v1/prometheus/targets', headers: { authorization: TOKEN } })).statusCode, 200);
  });

  test('every running instance is a target with its service, revision, version, instance, role and metrics path', async () => {
    const groups = await targets();
    const records = h.runtime.list().map((i) => i.record);
    assert.equal(groups.length, 2);
    for (const g of groups) {
      const rec = records.find((r) => r.id === g.labels.instance)!;
      assert.ok(rec, `target ${g.labels.instance} is a running instance`);
      assert.deepEqual(g.targets, [`${rec.host}:${rec.port}`]);
      assert.deepEqual(g.labels, { service: 'web', revision: '1', version: 'v1', instance: rec.id, role: 'stable', __metrics_path__: '/app-metrics' });
    }
  });

  test('scope=cutover lists the controller and the proxy metrics on the address Prometheus used; a bad scope is a 400', async () => {
    assert.deepEqual(await targets('?scope=cutover'), [
      { targets: ['cutover.test:7070'], labels: { job: 'cutover-controller', __metrics_path__: '/metrics' } },
      { targets: ['cutover.test:7070'], labels: { job: 'cutover-proxy', __metrics_path__: '/api/v1/metrics/proxy' } },
    ]);
    const bad = await api.inject({ url: '/api/v1/prometheus/targets?scope=all', headers: auth });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /scope/);
  });

  test('the proxy metrics through the control API pass promtool and count requests per revision', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(`${h.url}/`)).status, 200);
    const text = await scrape('/api/v1/metrics/proxy');
    assert.equal((await promtoolCheck(text)).problems, '');
    assert.equal(sampleValue(parseSamples(text), 'cutover_proxy_revision_requests_total', { service: 'web', revision: '1', class: '2xx' }), 3);
  });

  test('controller metrics: phase, weight, step, revisions, rollouts by outcome and their duration, analysis verdicts; promtool passes', async () => {
    let samples = parseSamples(await scrape('/metrics'));
    assert.equal(sampleValue(samples, 'cutover_rollout_phase', { service: 'web', phase: 'Healthy' }), 1);
    assert.equal(sampleValue(samples, 'cutover_rollout_phase', { service: 'web', phase: 'Progressing' }), 0);
    assert.equal(sampleValue(samples, 'cutover_rollout_canary_weight_ratio', { service: 'web' }), 0);
    assert.equal(sampleValue(samples, 'cutover_rollout_revision', { service: 'web', role: 'stable' }), 1);

    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Paused', 'canary paused at 50 %');
    samples = parseSamples(await scrape('/metrics'));
    assert.equal(sampleValue(samples, 'cutover_rollout_phase', { service: 'web', phase: 'Paused' }), 1);
    assert.equal(sampleValue(samples, 'cutover_rollout_canary_weight_ratio', { service: 'web' }), 0.5);
    assert.equal(sampleValue(samples, 'cutover_rollout_step_index', { service: 'web' }), 1);
    assert.equal(sampleValue(samples, 'cutover_rollout_steps', { service: 'web' }), 2);
    assert.equal(sampleValue(samples, 'cutover_rollout_revision', { service: 'web', role: 'canary' }), 2);
    const roles = (await targets()).map((g) => `${g.labels.revision}:${g.labels.role}`).sort();
    assert.deepEqual(roles, ['1:stable', '1:stable', '2:canary']);

    await h.controller.abort('web');
    metrics.recordMeasurement('web', 'Successful');
    metrics.recordMeasurement('web', 'Successful');
    metrics.recordMeasurement('web', 'Failed');
    const text = await scrape('/metrics');
    const r = await promtoolCheck(text);
    assert.equal(r.problems, '', text);
    samples = parseSamples(text);
    assert.equal(sampleValue(samples, 'cutover_rollout_phase', { service: 'web', phase: 'Degraded' }), 1);
    assert.equal(sampleValue(samples, 'cutover_rollouts_total', { service: 'web', outcome: 'aborted' }), 1);
    assert.equal(sampleValue(samples, 'cutover_rollout_duration_seconds_count', { service: 'web', outcome: 'aborted' }), 1);
    assert.ok(sampleValue(samples, 'cutover_rollout_duration_seconds_sum', { service: 'web', outcome: 'aborted' }) > 0);
    assert.equal(sampleValue(samples, 'cutover_analysis_measurements_total', { service: 'web', verdict: 'Successful' }), 2);
    assert.equal(sampleValue(samples, 'cutover_analysis_measurements_total', { service: 'web', verdict: 'Failed' }), 1);
    // A second scrape folds no event twice.
    const again = parseSamples(await scrape('/metrics'));
    assert.equal(sampleValue(again, 'cutover_rollouts_total', { service: 'web', outcome: 'aborted' }), 1);
  });

  test('every metric docs/grafana/cutover.json and docs/observability.md name is exposed, and every exposed metric is documented', async () => {
    const texts = [await scrape('/metrics'), await scrape('/api/v1/metrics/proxy')].join('\n');
    const families = metricFamilies(texts);
    const histograms = new Set([...texts.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]!));
    const exposed = (name: string) => families.has(name) || histograms.has(name.replace(/_(bucket|sum|count)$/, ''));
    const queries = dashboardQueries();
    assert.ok(queries.length >= 15, `${queries.length} queries in the dashboard`);
    for (const q of queries) {
      const names = metricNames(q.expr);
      assert.ok(names.length > 0, `panel "${q.panel}" reads no Cutover metric: ${q.expr}`);
      for (const n of names) assert.ok(exposed(n), `panel "${q.panel}" reads ${n}, which neither the controller nor the proxy exposes`);
    }
    const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
    const documented = new Set(metricNames(doc));
    for (const n of documented) assert.ok(exposed(n), `docs/observability.md names ${n}, which is not exposed`);
    for (const f of families) assert.ok(documented.has(f), `${f} is exposed but not in docs/observability.md`);
  });
});
