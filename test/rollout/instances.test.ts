import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagedInstance } from '../../src/rollout/interfaces.ts';
import { FAILED_REPLACE_MS, liveInstances, observeRevisions, pickRemovals, readyUpstreams, routedUpstreams, toStart, upstreamKey } from '../../src/rollout/instances.ts';

const now = 1_000_000;
function inst(id: string, revision: number, over: Partial<ManagedInstance> = {}, startedAt = 0): ManagedInstance {
  const ready = over.state === undefined || over.state === 'ready';
  return {
    id,
    record: { id, service: 'web', revision, version: `v${revision}`, pid: 1, host: '127.0.0.1', port: 1000 + id.length, startedAt, logFile: '', restarts: 0 },
    state: 'ready',
    ready,
    restarts: 0,
    crashLoop: false,
    ...over,
  };
}

describe('instance arithmetic', () => {
  test('observe counts running, ready and crash loops per revision, without leaving instances', () => {
    const all = [inst('a', 1), inst('b', 1, { state: 'starting', ready: false }), inst('c', 2, { state: 'failed', ready: false, crashLoop: true }), inst('d', 2, { state: 'stopping', ready: false })];
    const live = liveInstances(all, new Set(['a']));
    assert.deepEqual(observeRevisions(live), { 1: { running: 1, ready: 0, crashLoop: false }, 2: { running: 1, ready: 0, crashLoop: true } });
  });

  const rows: { name: string; live: ManagedInstance[]; scale: Record<number, number>; remove: string[]; start: [number, number][] }[] = [
    { name: 'at scale: nothing to do', live: [inst('a', 1), inst('b', 1)], scale: { 1: 2 }, remove: [], start: [] },
    { name: 'scale up', live: [inst('a', 1)], scale: { 1: 3 }, remove: [], start: [[1, 2]] },
    { name: 'a revision not wanted goes entirely', live: [inst('a', 1), inst('b', 2)], scale: { 2: 1 }, remove: ['a'], start: [] },
    {
      name: 'scale down removes unready first, then the newest',
      live: [inst('old', 1, {}, 1), inst('new', 1, {}, 9), inst('sick', 1, { state: 'unready', ready: false }, 5)],
      scale: { 1: 1 },
      remove: ['sick', 'new'],
      start: [],
    },
    {
      name: 'a failed instance is replaced once it has been failed a while',
      live: [inst('a', 1), inst('f', 1, { state: 'failed', ready: false, lastFailure: { reason: 'exit', at: now - FAILED_REPLACE_MS - 1, message: 'x' } })],
      scale: { 1: 2 },
      remove: ['f'],
      start: [[1, 1]],
    },
    {
      name: 'a freshly failed instance is left alone',
      live: [inst('a', 1), inst('f', 1, { state: 'failed', ready: false, lastFailure: { reason: 'exit', at: now - 10, message: 'x' } })],
      scale: { 1: 2 },
      remove: [],
      start: [],
    },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const removals = pickRemovals(r.live, r.scale, now);
      assert.deepEqual(removals.map((i) => i.id), r.remove);
      assert.deepEqual(toStart(r.live, removals, r.scale), r.start);
    });
  }

  test('with several hosts, scaling down takes from the host that runs the most of the revision', () => {
    const on = (id: string, host: string, startedAt: number) => {
      const i = inst(id, 1, {}, startedAt);
      return { ...i, record: { ...i.record, host } };
    };
    // a: 3 (the newest is a3), b: 1. Removing two takes both from a, newest first; removing three takes one from b too.
    const live = [on('a1', '10.0.0.1', 1), on('a2', '10.0.0.1', 2), on('a3', '10.0.0.1', 5), on('b1', '10.0.0.2', 9)];
    assert.deepEqual(pickRemovals(live, { 1: 2 }, now).map((i) => i.id), ['a3', 'a2']);
    assert.deepEqual(pickRemovals(live, { 1: 1 }, now).map((i) => i.id).sort(), ['a2', 'a3', 'b1']);
    // Not ready still goes first, wherever it runs.
    const unready = [...live.slice(0, 3), { ...on('b1', '10.0.0.2', 9), ready: false, state: 'unready' as const }];
    assert.deepEqual(pickRemovals(unready, { 1: 3 }, now).map((i) => i.id), ['b1']);
  });

  test('only ready instances that are not leaving reach the proxy', () => {
    const all = [inst('a', 1), inst('b', 1, { state: 'starting', ready: false }), inst('c', 2), inst('d', 2)];
    assert.deepEqual(readyUpstreams(all, new Set(['d'])), {
      1: [{ id: 'a', host: '127.0.0.1', port: 1001, ready: true }],
      2: [{ id: 'c', host: '127.0.0.1', port: 1001, ready: true }],
    });
  });

  test('what a route table routes to, by id and address; instances marked not ready are left out', () => {
    const a = { id: 'a', host: '127.0.0.1', port: 1001 };
    const routed = routedUpstreams({
      listeners: [{ port: 80, services: ['web'] }],
      services: [
        { name: 'web', revisions: [{ name: 'v1', weightBp: 10_000, instances: [a, { id: 'b', host: '127.0.0.1', port: 1002, ready: false }] }] },
        { name: 'web:preview', revisions: [{ name: 'v2', weightBp: 10_000, instances: [{ id: 'c', host: '127.0.0.1', port: 1003, ready: true }] }] },
      ],
    });
    assert.deepEqual([...routed].sort(), ['a@127.0.0.1:1001', 'c@127.0.0.1:1003']);
    assert.ok(routed.has(upstreamKey(inst('a', 1).record)));
    assert.ok(!routed.has(upstreamKey({ ...a, port: 2001 })), 'the same id restarted on another port is not the routed process');
  });
});
