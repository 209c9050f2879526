// The pure parts of the hosts' data plane: one table per host, their union, stats and metrics of several proxies as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoutesState, ServiceStats, TrafficStats } from '../../src/proxy/contract.ts';
import { mergeStats, mergeTraffic } from '../../src/engine/hosts/merge-stats.ts';
import { labelExposition } from '../../src/engine/hosts/label-exposition.ts';
import { tableFor, unionOf } from '../../src/engine/hosts/hosts-data-plane.ts';
import { bucketPercentile, latencyBucketUpperMs } from '../../src/proxy/traffic-window.ts';

const table: RoutesState = {
  listeners: [{ port: 8080, services: ['web'] }],
  services: [
    {
      name: 'web',
      revisions: [
        { name: 'web-1', weightBp: 7500, instances: [{ id: 'a', host: '10.0.0.1', port: 1 }, { id: 'b', host: '10.0.0.2', port: 2 }] },
        { name: 'web-2', weightBp: 2500, instances: [{ id: 'c', host: '10.0.0.2', port: 3 }] },
      ],
    },
  ],
} as RoutesState;

test('each host gets every weight and only its own instances; the union gives them all back', () => {
  const one = tableFor(table, '10.0.0.1');
  const two = tableFor(table, '10.0.0.2');
  assert.deepEqual(one.services[0]!.revisions.map((r) => [r.name, r.weightBp, r.instances.map((i) => i.id)]), [['web-1', 7500, ['a']], ['web-2', 2500, []]]);
  assert.deepEqual(two.services[0]!.revisions.map((r) => r.instances.map((i) => i.id)), [['b'], ['c']]);
  assert.deepEqual(one.listeners, table.listeners);
  const union = unionOf([one, two]);
  assert.deepEqual(union.services[0]!.revisions.map((r) => r.instances.map((i) => i.id).sort()), [['a', 'b'], ['c']]);
  assert.deepEqual(unionOf([]), { listeners: [], services: [] });
});

function traffic(latencies: number[], errors = 0): TrafficStats {
  const buckets = new Array<number>(64).fill(0);
  for (const ms of latencies) {
    let b = 0;
    while (latencyBucketUpperMs(b) < ms && b < 63) b++;
    buckets[b]!++;
  }
  const requests = latencies.length;
  const q = (x: number) => bucketPercentile(buckets, requests, x);
  return { requests, byClass: { '2xx': requests - errors, '5xx': errors }, inflight: 1, rate: requests / 10, errorRate: errors / requests, p50: q(0.5), p95: q(0.95), p99: q(0.99), latencyBuckets: buckets };
}

test('stats add up across hosts; error share and percentiles come from the summed counts, not averages', () => {
  // Host a: 90 fast requests; host b: 10 slow ones, 5 of them errors.
  const a = traffic(new Array(90).fill(2));
  const b = traffic(new Array(10).fill(400), 5);
  const m = mergeTraffic([a, b]);
  assert.equal(m.requests, 100);
  assert.deepEqual(m.byClass, { '2xx': 95, '5xx': 5 });
  assert.equal(m.errorRate, 0.05);
  assert.equal(m.inflight, 2);
  assert.equal(m.rate, 10);
  assert.equal(m.p50, a.p50, 'the median is a fast request');
  assert.equal(m.p95, b.p95, 'the 95th percentile is a slow one');
  // Averaging the two hosts' p95 would have said something else.
  assert.notEqual(m.p95, (a.p95 + b.p95) / 2);

  const svc = (instances: string[], t: TrafficStats): ServiceStats => ({ service: 'web', revisions: { 'web-1': { ...t, instances: Object.fromEntries(instances.map((i) => [i, { ...t, healthy: true }])) } } });
  const merged = mergeStats([[svc(['a'], a)], [svc(['b'], b)], []]);
  assert.equal(merged.length, 1);
  assert.equal(merged[0]!.revisions['web-1']!.requests, 100);
  assert.deepEqual(Object.keys(merged[0]!.revisions['web-1']!.instances).sort(), ['a', 'b']);
});

test("several proxies' metrics as one exposition: a host label on every sample, HELP and TYPE once", () => {
  const text = (n: number) => `# HELP cutover_proxy_requests_total Requests.
# TYPE cutover_proxy_requests_total counter
cutover_proxy_requests_total{service="web",class="2xx"} ${n}
# HELP cutover_proxy_request_duration_seconds Latency.
# TYPE cutover_proxy_request_duration_seconds histogram
cutover_proxy_request_duration_seconds_bucket{le="0.1"} ${n}
cutover_proxy_request_duration_seconds_sum ${n / 10}
cutover_proxy_request_duration_seconds_count ${n}
`;
  const out = labelExposition([{ host: 'h1', text: text(3) }, { host: 'h2', text: text(5) }]);
  const lines = out.trim().split('\n');
  assert.equal(lines.filter((l) => l === '# TYPE cutover_proxy_requests_total counter').length, 1);
  assert.equal(lines.filter((l) => l.startsWith('# HELP cutover_proxy_request_duration_seconds ')).length, 1);
  assert.ok(lines.includes('cutover_proxy_requests_total{host="h1",service="web",class="2xx"} 3'));
  assert.ok(lines.includes('cutover_proxy_requests_total{host="h2",service="web",class="2xx"} 5'));
  assert.ok(lines.includes('cutover_proxy_request_duration_seconds_sum{host="h2"} 0.5'));
  // A family's samples follow its TYPE line, both hosts together.
  const type = lines.indexOf('# TYPE cutover_proxy_request_duration_seconds histogram');
  const samples = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('cutover_proxy_request_duration_seconds_')).map(([, i]) => i);
  assert.ok(samples.every((i) => i > type) && samples.length === 6);
  assert.equal(labelExposition([]), '');
});
