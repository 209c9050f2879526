// Every provider through the same path the controller uses (placeholders replaced, provider measured, conditions
// judged), against real local servers, commands and a real Prometheus.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { metricSchema, type MetricConfig } from '../../src/config/analysis-schema.ts';
import { measureMetric } from '../../src/analysis/measure.ts';
import type { MeasureContext } from '../../src/analysis/providers/index.ts';
import type { ServiceStats } from '../../src/proxy/contract.ts';
import { jsonPath } from '../../src/analysis/providers/web.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { freePort } from '../helpers/engine.ts';
import { startUpstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';

const ctx: MeasureContext = { service: 'web', statsNames: ['web'], revision: { number: 2, version: 'v2' }, baseline: { number: 1, version: 'v1' }, stats: async () => [], signal: new AbortController().signal };
const metric = (m: Record<string, unknown>): MetricConfig => metricSchema.parse({ name: 'm', ...m });

describe('web provider', () => {
  const cleanups = cleanupsAfter(after);
  let base = '';
  before(async () => {
    const up = await startUpstream('web', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        if (url.pathname === '/slow') return void setTimeout(() => res.end('{}'), 2000);
        if (url.pathname === '/down') return void res.writeHead(503).end('maintenance');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, path: url.pathname, auth: req.headers['authorization'] ?? null, body: body ? JSON.parse(body) : null, data: { ok: true, rates: [0.97, 0.5] } }));
      });
    });
    cleanups.push(() => up.close());
    base = `http://127.0.0.1:${up.port}`;
  });

  test('GET with headers, a value from a JSON path, placeholders replaced', async () => {
    const m = await measureMetric(metric({ successCondition: 'result >= 0.95', provider: { web: { url: `${base}/check/{{service}}/{{revision.version}}`, headers: [{ key: 'Authorization', value: 'Bearer {{args.token}}' }], jsonPath: '{$.data.rates[0]}' } } }), ctx, { token: 's3cret' }, 1);
    assert.equal(m.phase, 'Successful', m.message);
    assert.equal(m.value, '0.97');
    const whole = await measureMetric(metric({ successCondition: 'result.path == "/check/web/v2" && result.auth == "Bearer s3cret"', provider: { web: { url: `${base}/check/{{service}}/{{revision.version}}`, headers: [{ key: 'Authorization', value: 'Bearer {{args.token}}' }] } } }), ctx, { token: 's3cret' }, 1);
    assert.equal(whole.phase, 'Successful', whole.message);
  });

  test('POST with a JSON body; a false condition is Failed', async () => {
    const m = await measureMetric(metric({ successCondition: 'result == "POST"', provider: { web: { url: `${base}/x`, method: 'POST', jsonBody: { revision: '{{revision.number}}' }, jsonPath: '$.method' } } }), ctx, {}, 1);
    assert.equal(m.phase, 'Successful');
    const body = await measureMetric(metric({ successCondition: 'result == "3"', provider: { web: { url: `${base}/x`, method: 'POST', jsonBody: { revision: '{{revision.number}}' }, jsonPath: '$.body.revision' } } }), ctx, {}, 1);
    assert.equal(body.phase, 'Failed');
    assert.equal(body.value, '2');
    assert.match(body.message, /successCondition "result == "3"" not met/);
  });

  test('a timeout, a non-2xx answer, a missing path and an unknown placeholder are Error measurements', async () => {
    const rows: [Record<string, unknown>, RegExp][] = [
      [{ url: `${base}/slow`, timeoutSeconds: 0.2 }, /aborted|timeout/i],
      [{ url: `${base}/down` }, /answered 503: maintenance/],
      [{ url: `${base}/x`, jsonPath: '$.data.missing' }, /nothing at \$\.data\.missing/],
      [{ url: `${base}/{{args.nope}}` }, /unknown placeholder \{\{args.nope\}\}/],
    ];
    for (const [web, error] of rows) {
      const m = await measureMetric(metric({ successCondition: 'result == 1', provider: { web } }), ctx, {}, 1);
      assert.equal(m.phase, 'Error', JSON.stringify(web));
      assert.match(m.message, error);
    }
  });

  test('jsonPath forms', () => {
    const doc = { a: { 'b-c': [1, { d: 'x' }] } };
    assert.equal(jsonPath(doc, '{$.a.b-c[1].d}'), 'x');
    assert.equal(jsonPath(doc, "$['a']['b-c'][0]"), 1);
    assert.deepEqual(jsonPath(doc, '$'), doc);
    assert.throws(() => jsonPath(doc, 'a.b'), /must start with \$/);
  });
});

describe('command provider', () => {
  test('exit 0 with a number on the last line: the number is the result, output kept and trimmed', async () => {
    const m = await measureMetric(metric({ successCondition: 'result < 0.3', provider: { command: { run: 'echo "smoke test for $CUTOVER_SERVICE $CUTOVER_VERSION"; echo 0.12' } } }), ctx, {}, 1);
    assert.equal(m.phase, 'Successful', m.message);
    assert.equal(m.value, '0.12');
    assert.match(m.message, /exit 0; stdout: smoke test for web v2 0.12/);
  });

  test('exit 0 without conditions succeeds; a non-zero exit fails with its output', async () => {
    assert.equal((await measureMetric(metric({ provider: { command: { run: 'true' } } }), ctx, {}, 1)).phase, 'Successful');
    const m = await measureMetric(metric({ provider: { command: { run: 'echo checking {{revision.number}}; echo "login page: 502" >&2; exit 3' } } }), ctx, {}, 1);
    assert.equal(m.phase, 'Failed');
    assert.match(m.message, /exit 3; stdout: checking 2; stderr: login page: 502/);
  });

  test('a command running when the controller stops is killed, not reported as a failure', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const t0 = Date.now();
    const m = await measureMetric(metric({ provider: { command: { run: 'sleep 30 & wait' } } }), { ...ctx, signal: stop.signal }, {}, 1);
    assert.equal(m.phase, 'Error');
    assert.match(m.message, /stopped with the controller/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  test('a command past its timeout is killed (with its children) and is an Error', async () => {
    const t0 = Date.now();
    const m = await measureMetric(metric({ provider: { command: { run: 'echo started; sleep 30 & wait', timeout: '300ms' } } }), ctx, {}, 1);
    assert.equal(m.phase, 'Error');
    assert.match(m.message, /timed out after 300ms; stdout: started/);
    assert.ok(Date.now() - t0 < 10_000);
  });
});

/** A real Prometheus (Debian package `prometheus`) scraping `targets` every second. */
async function startPrometheus(targets: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: app\n    static_configs: [ { targets: ${JSON.stringify(targets)} } ]\n`);
  const child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await request(`${url}/-/ready`).then((r) => (r.body.resume(), r.statusCode === 200)).catch(() => false)) || null, 'prometheus ready', { timeoutMs: 30_000, everyMs: 200 });
  return {
    url,
    stop: async () => {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('prometheus provider (a real Prometheus)', () => {
  const cleanups = cleanupsAfter(after);
  let prom = '';
  before(async () => {
    const app = await startUpstream('app', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE app_error_ratio gauge\napp_error_ratio{version="v1"} 0.01\napp_error_ratio{version="v2"} 0.25\n');
    });
    cleanups.push(() => app.close());
    const p = await startPrometheus([`127.0.0.1:${app.port}`]);
    cleanups.push(() => p.stop());
    prom = p.url;
    await waitFor(async () => {
      const m = await measureMetric(metric({ provider: { prometheus: { address: prom, query: 'app_error_ratio' } } }), ctx, {}, 1);
      return m.value.startsWith('[') && m.value !== '[]' ? m : null;
    }, 'first scrape', { timeoutMs: 30_000, everyMs: 300 });
  });

  test('a vector result is a list; the query names the revision being analysed', async () => {
    const m = await measureMetric(metric({ successCondition: 'result[0] < 0.05', provider: { prometheus: { address: prom, query: 'app_error_ratio{version="{{revision.version}}"}' } } }), ctx, {}, 1);
    assert.equal(m.value, '[0.25]');
    assert.equal(m.phase, 'Failed');
    const stable = await measureMetric(metric({ successCondition: 'result[0] < 0.05', provider: { prometheus: { address: prom, query: 'app_error_ratio{version="v1"}' } } }), ctx, {}, 1);
    assert.equal(stable.phase, 'Successful');
  });

  test('a scalar result is a number', async () => {
    const m = await measureMetric(metric({ failureCondition: 'result > 0.2', provider: { prometheus: { address: prom, query: 'scalar(max(app_error_ratio))' } } }), ctx, {}, 1);
    assert.equal(m.value, '0.25');
    assert.equal(m.phase, 'Failed');
  });

  test('a query error, an empty vector indexed and an unreachable server are Error measurements, not failures', async () => {
    const bad = await measureMetric(metric({ successCondition: 'result[0] < 1', provider: { prometheus: { address: prom, query: 'sum(rate(app_error_ratio[1m]' } } }), ctx, {}, 1);
    assert.equal(bad.phase, 'Error');
    assert.match(bad.message, /query failed \(400 bad_data\)/);
    const empty = await measureMetric(metric({ successCondition: 'result[0] < 1', provider: { prometheus: { address: prom, query: 'app_error_ratio{version="v9"}' } } }), ctx, {}, 1);
    assert.equal(empty.phase, 'Error');
    assert.match(empty.message, /out of range/);
    const down = await measureMetric(metric({ successCondition: 'result[0] < 1', provider: { prometheus: { address: `http://127.0.0.1:${await freePort()}`, query: 'up', timeout: '1s' } } }), ctx, {}, 1);
    assert.equal(down.phase, 'Error');
  });
});

describe('builtin provider', () => {
  const window = (requests: number, errors: number, p99: number) => ({ requests, byClass: { '2xx': requests - errors, '5xx': errors }, inflight: 0, rate: requests / 10, errorRate: requests ? errors / requests : 0, p50: p99 / 4, p95: p99 / 2, p99, latencyBuckets: [requests], instances: {} });
  const stats = async (): Promise<ServiceStats[]> => [
    { service: 'web', revisions: { '1': window(900, 9, 40), '2': window(3, 0, 10) } },
    { service: 'web:preview', revisions: { '2': window(50, 5, 80) } },
  ];
  const bctx = { ...ctx, statsNames: ['web', 'web:preview'], stats };

  test("each figure of the revision under analysis, from where it has traffic (the preview listener's before a switch)", async () => {
    const rows: [string, string][] = [['successRate', '0.9'], ['errorRate', '0.1'], ['requestRate', '5'], ['latencyP99Ms', '80'], ['latencyP95Ms', '40'], ['latencyP50Ms', '20']];
    for (const [name, value] of rows) {
      const m = await measureMetric(metric({ provider: { builtin: { metric: name } } }), bctx, {}, 1);
      assert.equal(m.value, value, name);
    }
    const stable = await measureMetric(metric({ successCondition: 'result >= 0.99', provider: { builtin: { metric: 'successRate', revision: 'stable' } } }), bctx, {}, 1);
    assert.deepEqual([stable.value, stable.phase], ['0.99', 'Successful']);
  });

  test('fewer requests than minRequests is Inconclusive, whatever the condition', async () => {
    const m = await measureMetric(metric({ successCondition: 'result >= 0.99', provider: { builtin: { metric: 'successRate', minRequests: 20 } } }), { ...bctx, statsNames: ['web'] }, {}, 1);
    assert.equal(m.phase, 'Inconclusive');
    assert.match(m.message, /3 request\(s\) in the window, 20 needed/);
  });
});
