import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createProxy, type Proxy } from '../../src/proxy/proxy.ts';
import { DURATION_BUCKETS_S, durationBucketOf } from '../../src/proxy/traffic-window.ts';
import type { RoutesState } from '../../src/proxy/contract.ts';
import { startUpstream, get, type TestUpstream } from '../helpers/upstream.ts';
import { parseSamples, promtoolCheck, sampleValue, type Sample } from '../helpers/exposition.ts';

describe('proxy Prometheus metrics', () => {
  let fast: TestUpstream;
  let slow: TestUpstream;
  let failing: TestUpstream;
  let proxy: Proxy;
  let text: string;
  let samples: Sample[];

  before(async () => {
    fast = await startUpstream('fast', (req, res) => {
      req.resume();
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('fast');
    });
    slow = await startUpstream('slow', (req, res) => {
      req.resume();
      setTimeout(() => res.end('slow'), 300);
    });
    failing = await startUpstream('failing', (req, res) => {
      req.resume();
      res.statusCode = 500;
      res.end('no');
    });
    proxy = createProxy({ queueTimeoutMs: 100 });
    const inst = (id: string, port: number, ready?: boolean) => ({ id, host: '127.0.0.1', port, ...(ready === undefined ? {} : { ready }) });
    const state: RoutesState = {
      listeners: [{ port: 0, host: '127.0.0.1', services: ['web', 'api'] }],
      services: [
        {
          name: 'web',
          revisions: [
            { name: '1', weightBp: 5000, instances: [inst('1-0', fast.port)] },
            { name: '2', version: 'v2.0.1', weightBp: 5000, instances: [inst('2-0', slow.port)] },
            { name: '3', weightBp: 0, instances: [inst('3-0', failing.port, false)] },
          ],
          rules: [
            { revision: '1', header: { name: 'x-to', value: 'fast' } },
            { revision: '2', header: { name: 'x-to', value: 'slow' } },
            { revision: '3', header: { name: 'x-to', value: 'down' } },
          ],
        },
        { name: 'api', pathPrefix: '/api', revisions: [{ name: '1', weightBp: 10000, instances: [inst('api-1', failing.port)] }] },
      ],
    };
    await proxy.apply(state);
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    for (let i = 0; i < 4; i++) assert.equal((await get(`${base}/`, { 'x-to': 'slow' })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await get(`${base}/missing`, { 'x-to': 'fast' })).status, 404);
    assert.equal((await get(`${base}/`, { 'x-to': 'down' })).status, 503);
    assert.equal((await get(`${base}/api/x`)).status, 500);
    text = await proxy.metricsText();
    samples = parseSamples(text);
  });
  after(async () => {
    await proxy.close();
    await Promise.all([fast.close(), slow.close(), failing.close()]);
  });

  test('the exposition passes promtool check metrics', async () => {
    const r = await promtoolCheck(text);
    assert.equal(r.problems, '', text);
    assert.equal(r.code, 0);
  });

  test('no series carries an empty label, and the old gauge-with-quantile is gone', () => {
    for (const s of samples) for (const [k, v] of Object.entries(s.labels)) assert.notEqual(v, '', `${s.name} has ${k}=""`);
    assert.ok(!text.includes('cutover_proxy_latency_ms'));
    assert.ok(!samples.some((s) => 'quantile' in s.labels));
  });

  test('latency is a histogram in seconds per instance: cumulative buckets, +Inf = _count = requests, _sum in seconds', () => {
    const inst = { service: 'web', revision: '2', version: 'v2.0.1', instance: '2-0' };
    const count = sampleValue(samples, 'cutover_proxy_request_duration_seconds_count', inst);
    const ok = sampleValue(samples, 'cutover_proxy_requests_total', { ...inst, class: '2xx' });
    assert.ok(count >= 4, `count ${count}`);
    assert.equal(count, ok);
    assert.equal(sampleValue(samples, 'cutover_proxy_request_duration_seconds_bucket', { ...inst, le: '+Inf' }), count);
    // The upstream waits 300 ms: nothing can be at or under 0.25 s.
    assert.equal(sampleValue(samples, 'cutover_proxy_request_duration_seconds_bucket', { ...inst, le: '0.25' }), 0);
    assert.ok(sampleValue(samples, 'cutover_proxy_request_duration_seconds_sum', inst) >= 0.3 * count);
    let previous = 0;
    for (const le of [...DURATION_BUCKETS_S.map(String), '+Inf']) {
      const v = sampleValue(samples, 'cutover_proxy_request_duration_seconds_bucket', { ...inst, le });
      assert.ok(v >= previous, `bucket le=${le} (${v}) below the one before (${previous})`);
      previous = v;
    }
  });

  test('the version label is the route version, else the revision name', () => {
    assert.equal(sampleValue(samples, 'cutover_proxy_instance_available', { service: 'web', revision: '2' }), 1);
    assert.equal(samples.find((s) => s.labels.revision === '2')!.labels.version, 'v2.0.1');
    assert.equal(samples.find((s) => s.labels.service === 'web' && s.labels.revision === '1')!.labels.version, '1');
  });

  test('revision series count what the instances answered plus what the proxy answered with no instance', () => {
    const rev1 = { service: 'web', revision: '1' };
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_requests_total', { ...rev1, class: '4xx' }), 3);
    assert.equal(sampleValue(samples, 'cutover_proxy_requests_total', { ...rev1, instance: '1-0', class: '4xx' }), 3);
    // Revision 3's only instance is not ready: the proxy answered 503 itself, so only the revision counts it.
    const rev3 = { service: 'web', revision: '3' };
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_requests_total', { ...rev3, class: 'error' }), 1);
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_request_duration_seconds_count', rev3), 1);
    assert.equal(sampleValue(samples, 'cutover_proxy_request_duration_seconds_count', { ...rev3, instance: '3-0' }), 0);
    assert.equal(sampleValue(samples, 'cutover_proxy_instance_available', { ...rev3, instance: '3-0' }), 0);
    // An upstream's own 500 is the instance's 5xx.
    assert.equal(sampleValue(samples, 'cutover_proxy_requests_total', { service: 'api', instance: 'api-1', class: '5xx' }), 1);
    // Every class has a series from the start, so an error ratio is 0 before the first error instead of missing.
    assert.equal(sampleValue(samples, 'cutover_proxy_requests_total', { service: 'api', instance: 'api-1', class: 'error' }), 0);
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_requests_total', { ...rev1, class: '5xx' }), 0);
  });

  test('weights are exposed as ratios of the service', () => {
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_weight_ratio', { service: 'web', revision: '1' }), 0.5);
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_weight_ratio', { service: 'web', revision: '3' }), 0);
    assert.equal(sampleValue(samples, 'cutover_proxy_revision_weight_ratio', { service: 'api', revision: '1' }), 1);
  });

  test('a latency lands in the first bucket whose bound it does not exceed (le is inclusive)', () => {
    assert.equal(durationBucketOf(0), 0);
    assert.equal(durationBucketOf(1), 0);
    assert.equal(durationBucketOf(1.0001), 1);
    assert.equal(durationBucketOf(300), DURATION_BUCKETS_S.indexOf(0.35));
    assert.equal(durationBucketOf(60_000), DURATION_BUCKETS_S.length - 1);
    assert.equal(durationBucketOf(60_001), DURATION_BUCKETS_S.length);
  });
});
