// The pure parts of notifications, table-tested: the retry delay, the filters, the notices built from both logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wants } from '../../src/notify/filter.ts';
import { fromFlagEvent, fromRolloutEvent } from '../../src/notify/notice.ts';
import { retryDelay } from '../../src/notify/retry-delay.ts';
import { summarize } from '../../src/notify/summary.ts';

test('the retry delay doubles per failed attempt, is capped, half of it jittered, and honours Retry-After up to max', () => {
  const b = { initial: 1000, max: 10_000 };
  const rows: [attempts: number, random: number, retryAfterMs: number | undefined, expected: number][] = [
    [1, 0, undefined, 500],
    [1, 1, undefined, 1000],
    [2, 0.5, undefined, 1500],
    [3, 1, undefined, 4000],
    [5, 1, undefined, 10_000],
    [9, 0, undefined, 5000],
    [1, 0, 3000, 3000],
    [1, 1, 500, 1000],
    [1, 0, 60_000, 10_000],
  ];
  for (const [attempts, random, retryAfter, expected] of rows) {
    assert.equal(retryDelay(attempts, b, () => random, retryAfter), expected, `attempt ${attempts}, random ${random}, retry-after ${retryAfter}`);
  }
});

test('filters: types, prefixes, "*", services; flag changes only without a services filter; NotificationFailed never', () => {
  const rows: [events: string[], services: string[] | undefined, event: string, service: string | null, expected: boolean][] = [
    [['RolloutAborted'], undefined, 'RolloutAborted', 'web', true],
    [['RolloutAborted'], undefined, 'RolloutStarted', 'web', false],
    [['Rollout*'], undefined, 'RolloutStarted', 'web', true],
    [['Rollout*'], undefined, 'RolledBack', 'web', false],
    [['*'], undefined, 'InstanceReady', 'web', true],
    [['*'], ['web'], 'InstanceReady', 'api', false],
    [['*'], ['web', 'api'], 'InstanceReady', 'api', true],
    [['Flag*'], undefined, 'FlagUpdated', null, true],
    [['Flag*'], ['web'], 'FlagUpdated', null, false],
    [['*'], undefined, 'NotificationFailed', 'web', false],
    [['NotificationFailed'], undefined, 'NotificationFailed', 'web', false],
  ];
  for (const [events, services, event, service, expected] of rows) {
    assert.equal(wants({ events, services }, { event, service }), expected, `${events} ${services} ← ${event} ${service}`);
  }
});

test('notices and summaries from both logs', () => {
  const flag = fromFlagEvent({ id: 7, time: 0, kind: 'flag', name: 'checkout', type: 'updated', actor: 'admin', before: null, after: null });
  assert.deepEqual([flag.stream, flag.event, flag.service, flag.subject, flag.actor], ['flagEvents', 'FlagUpdated', null, 'checkout', 'admin']);
  assert.equal(summarize(flag), 'flag checkout updated by admin');
  const seg = fromFlagEvent({ id: 8, time: 0, kind: 'segment', name: '3', type: 'deleted', actor: 'config', before: null, after: null, reason: 'removed from cutover.yaml' });
  assert.equal(seg.event, 'SegmentDeleted');
  assert.equal(summarize(seg), 'segment 3 deleted by config — removed from cutover.yaml');
  const e = { id: 3, service: 'web', time: 0, type: 'RolloutCompleted', reason: 'all steps done', revision: 4 };
  assert.equal(summarize(fromRolloutEvent(e, 'v4')), 'web: v4 (revision 4) is stable — all steps done');
  assert.equal(summarize(fromRolloutEvent(e, null)), 'web: revision 4 is stable — all steps done');
  assert.equal(summarize(fromRolloutEvent({ ...e, type: 'InstanceLost' }, 'v4')), 'web: InstanceLost for v4 (revision 4) — all steps done');
  assert.equal(summarize(fromRolloutEvent({ ...e, revision: undefined }, null)), 'web: RolloutCompleted — all steps done');
});
