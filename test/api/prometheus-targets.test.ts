import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutoverTargets, instanceTargets, type DiscoveredInstance } from '../../src/api/prometheus-targets.ts';
import type { RolloutStatus } from '../../src/rollout/types.ts';

const status = {
  service: 'web',
  revisions: [
    { number: 1, version: 'v1', role: 'stable' },
    { number: 2, version: 'v2', role: 'preview' },
  ],
} as unknown as RolloutStatus;

function inst(id: string, revision: number, state: string, host = '127.0.0.1', service = 'web'): DiscoveredInstance {
  return { record: { id, service, revision, version: `v${revision}`, pid: 1, host, port: 4000 + revision, startedAt: 0, logFile: '', restarts: 0 }, state };
}

test('instance targets: role from the status, "old" for a revision it no longer lists, gone instances left out, IPv6 in brackets', () => {
  const groups = instanceTargets(
    [status],
    [inst('web-2-b', 2, 'starting', '::1'), inst('web-1-a', 1, 'ready'), inst('web-0-x', 3, 'stopping'), inst('web-1-z', 1, 'stopped'), inst('web-1-y', 1, 'failed')],
    (s) => (s === 'web' ? '/internal/metrics' : undefined),
  );
  assert.deepEqual(
    groups.map((g) => [g.targets[0], g.labels.instance, g.labels.revision, g.labels.version, g.labels.role, g.labels.__metrics_path__]),
    [
      ['127.0.0.1:4003', 'web-0-x', '3', 'v3', 'old', '/internal/metrics'],
      ['127.0.0.1:4001', 'web-1-a', '1', 'v1', 'stable', '/internal/metrics'],
      ['[::1]:4002', 'web-2-b', '2', 'v2', 'preview', '/internal/metrics'],
    ],
  );
});

test('a service without metrics.path is scraped on /metrics; labels are strings only', () => {
  const [g] = instanceTargets([], [inst('api-1-a', 1, 'ready', '127.0.0.1', 'api')], () => undefined);
  assert.equal(g!.labels.__metrics_path__, '/metrics');
  assert.equal(g!.labels.role, 'old');
  for (const v of Object.values(g!.labels)) assert.equal(typeof v, 'string');
});

test("Cutover's own targets carry their job and path", () => {
  assert.deepEqual(
    cutoverTargets('10.0.0.5:7070').map((g) => [g.targets, g.labels.job, g.labels.__metrics_path__]),
    [
      [['10.0.0.5:7070'], 'cutover-controller', '/metrics'],
      [['10.0.0.5:7070'], 'cutover-proxy', '/api/v1/metrics/proxy'],
    ],
  );
});
