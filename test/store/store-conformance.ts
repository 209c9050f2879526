/**
 * The one suite every Store implementation runs. `open` returns a fresh,
 * empty store; `reopen` (when the store is durable) opens the same data again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceRecord } from '../../src/runtime/provider.ts';
import { initialState } from '../../src/rollout/state.ts';
import type { NewRevision, Store, StoreOptions } from '../../src/store/store.ts';

export interface StoreHarness {
  open(opts?: StoreOptions): Store;
  reopen?(): Store;
  cleanup?(): void;
}

export function revision(service: string, version: string, createdAt = 1000): NewRevision {
  return { service, version, command: 'node server.js', cwd: '/app', env: { A: '1' }, strategy: 'rolling', configHash: `hash-${version}`, createdAt };
}

export function instance(id: string, service = 'web', revision = 1): InstanceRecord {
  return { id, service, revision, version: 'v1', pid: 4242, host: '127.0.0.1', port: 40000, startedAt: 1, logFile: `/tmp/${id}.log`, restarts: 0 };
}

export function storeConformance(name: string, h: StoreHarness): void {
  describe(`Store conformance: ${name}`, () => {
    const withStore = (fn: (s: Store) => void) => () => {
      const s = h.open();
      try {
        fn(s);
      } finally {
        s.close();
        h.cleanup?.();
      }
    };

    test('revisions are numbered per service from 1 and read back unchanged', withStore((s) => {
      assert.equal(s.createRevision(revision('web', 'v1')).number, 1);
      assert.equal(s.createRevision(revision('web', 'v2')).number, 2);
      assert.equal(s.createRevision(revision('api', 'a1')).number, 1);
      assert.deepEqual(s.getRevision('web', 2), { ...revision('web', 'v2'), number: 2 });
      assert.deepEqual(s.listRevisions('web').map((r) => r.version), ['v1', 'v2']);
      assert.equal(s.getRevision('web', 9), undefined);
    }));

    test('pruning keeps the newest and every protected revision', withStore((s) => {
      for (let i = 1; i <= 6; i++) s.createRevision(revision('web', `v${i}`));
      assert.deepEqual(s.pruneRevisions('web', 3, [1]), [2, 3]);
      assert.deepEqual(s.listRevisions('web').map((r) => r.number), [1, 4, 5, 6]);
      assert.equal(s.createRevision(revision('web', 'v7')).number, 7, 'numbers are never reused');
    }));

    test('rollout state is saved whole with its events', withStore((s) => {
      assert.equal(s.getRollout('web'), undefined);
      const st = { ...initialState('web', 5), stable: 1, phase: 'Healthy' as const };
      st.desired.scale[1] = 3;
      const stored = s.saveRollout(st, [{ service: 'web', time: 5, type: 'RolloutCompleted', reason: 'done', revision: 1 }]);
      assert.equal(stored.length, 1);
      assert.ok(stored[0]!.id > 0);
      assert.deepEqual(s.getRollout('web'), st);
      s.saveRollout({ ...st, phase: 'Progressing', canary: 2 });
      assert.equal(s.getRollout('web')?.canary, 2);
      assert.deepEqual(s.listRollouts().map((r) => r.service), ['web']);
    }));

    test('instance records are upserted by id and filtered by service and revision', withStore((s) => {
      s.putInstance(instance('a'));
      s.putInstance(instance('b', 'web', 2));
      s.putInstance(instance('c', 'api', 1));
      s.putInstance({ ...instance('a'), pid: 5555, port: 40001, restarts: 1 });
      assert.equal(s.listInstances().length, 3);
      assert.deepEqual(s.listInstances({ service: 'web' }).map((r) => r.id), ['a', 'b']);
      assert.deepEqual(s.listInstances({ service: 'web', revision: 2 }).map((r) => r.id), ['b']);
      assert.equal(s.listInstances({ service: 'web' })[0]!.pid, 5555);
      s.deleteInstance('a');
      s.deleteInstance('missing');
      assert.deepEqual(s.listInstances({ service: 'web' }).map((r) => r.id), ['b']);
    }));

    test('events are append-only, ascending, and can be followed with sinceId', withStore((s) => {
      const ev = (service: string, type: string) => ({ service, time: 1, type, reason: type });
      s.appendEvents([ev('web', 'A'), ev('api', 'B'), ev('web', 'C')]);
      s.appendEvents([ev('web', 'D')]);
      assert.deepEqual(s.listEvents().map((e) => e.type), ['A', 'B', 'C', 'D']);
      assert.deepEqual(s.listEvents({ service: 'web' }).map((e) => e.type), ['A', 'C', 'D']);
      assert.deepEqual(s.listEvents({ limit: 2 }).map((e) => e.type), ['C', 'D'], 'without sinceId: the last N');
      const first = s.listEvents()[0]!;
      assert.deepEqual(s.listEvents({ sinceId: first.id, limit: 2 }).map((e) => e.type), ['B', 'C'], 'with sinceId: the next N');
      assert.equal(first.revision, undefined);
      const ids = s.listEvents().map((e) => e.id);
      assert.deepEqual([...ids].sort((a, b) => a - b), ids);
    }));

    test('each service keeps only its newest eventsPerService events; other services keep theirs', () => {
      const s = h.open({ eventsPerService: 3 });
      try {
        const ev = (service: string, type: string) => ({ service, time: 1, type, reason: type });
        s.appendEvents([ev('api', 'a1'), ev('api', 'a2')]);
        for (const t of ['w1', 'w2', 'w3', 'w4']) s.appendEvents([ev('web', t)]);
        assert.deepEqual(s.listEvents({ service: 'web' }).map((e) => e.type), ['w2', 'w3', 'w4']);
        s.saveRollout(initialState('web', 1), [ev('web', 'w5'), ev('web', 'w6'), ev('api', 'a3')]);
        assert.deepEqual(s.listEvents().map((e) => e.type), ['a1', 'a2', 'w4', 'w5', 'w6', 'a3']);
      } finally {
        s.close();
        h.cleanup?.();
      }
    });

    const flag = (name: string, enabled = true) => ({ name, definition: { name, enabled, strategies: [{ name: 'default' }] }, updatedAt: 1 });
    const flagEvent = (name: string, type: 'created' | 'updated' | 'deleted' = 'created') => ({
      time: 1, kind: 'flag' as const, name, type, actor: 'admin', before: null, after: { name, enabled: true, strategies: [] },
    });

    test('flags and segments are written with their events in one change, and the revision moves', withStore((s) => {
      assert.equal(s.flagRevision(), 0);
      assert.deepEqual(s.listFlags(), []);
      const stored = s.applyFlagChange(
        { putFlags: [flag('b'), { ...flag('a'), configHash: 'h1' }], putSegments: [{ id: 7, name: 'beta', constraints: [] }] },
        [flagEvent('a'), flagEvent('b')],
      );
      assert.equal(stored.length, 2);
      assert.deepEqual(s.listFlags().map((f) => f.name), ['a', 'b']);
      assert.equal(s.listFlags()[0]!.configHash, 'h1');
      assert.equal(s.listFlags()[1]!.configHash, undefined);
      assert.deepEqual(s.listFlags()[1]!.definition, flag('b').definition);
      assert.deepEqual(s.listSegments(), [{ id: 7, name: 'beta', constraints: [] }]);
      const rev = s.flagRevision();
      assert.equal(rev, stored[1]!.id);
      s.applyFlagChange({ putFlags: [flag('a', false)], deleteFlags: ['b'], deleteSegments: [7] }, [flagEvent('a', 'updated'), flagEvent('b', 'deleted')]);
      assert.ok(s.flagRevision() > rev);
      assert.deepEqual(s.listFlags().map((f) => [f.name, f.definition.enabled]), [['a', false]]);
      assert.deepEqual(s.listSegments(), []);
      const events = s.listFlagEvents();
      assert.deepEqual(events.map((e) => [e.name, e.type, e.actor]), [['a', 'created', 'admin'], ['b', 'created', 'admin'], ['a', 'updated', 'admin'], ['b', 'deleted', 'admin']]);
      assert.deepEqual(events[0]!.after, { name: 'a', enabled: true, strategies: [] });
      assert.equal(events[0]!.before, null);
      assert.deepEqual(s.listFlagEvents({ name: 'a' }).map((e) => e.type), ['created', 'updated']);
      assert.deepEqual(s.listFlagEvents({ sinceId: events[1]!.id, limit: 1 }).map((e) => e.name), ['a']);
      assert.deepEqual(s.listFlagEvents({ limit: 1 }).map((e) => e.name), ['b']);
    }));

    test('each flag keeps its newest eventsPerService events; the revision never goes back', () => {
      const s = h.open({ eventsPerService: 2 });
      try {
        for (let i = 0; i < 4; i++) s.applyFlagChange({ putFlags: [flag('a')] }, [{ ...flagEvent('a', 'updated'), reason: `r${i}` }]);
        s.applyFlagChange({ putFlags: [flag('b')] }, [flagEvent('b')]);
        assert.deepEqual(s.listFlagEvents({ name: 'a' }).map((e) => e.reason), ['r2', 'r3']);
        assert.equal(s.listFlagEvents({ name: 'b' }).length, 1);
        assert.equal(s.flagRevision(), 5);
      } finally {
        s.close();
        h.cleanup?.();
      }
    });

    test('flag metrics add up per flag and variant', withStore((s) => {
      s.addFlagMetrics([{ name: 'a', yes: 3, no: 1, variants: { blue: 2 } }], 10);
      s.addFlagMetrics([{ name: 'a', yes: 1, no: 0, variants: { blue: 1, red: 4 } }, { name: 'b', yes: 0, no: 2, variants: {} }], 20);
      assert.deepEqual(s.listFlagMetrics('a'), [{ name: 'a', yes: 4, no: 1, variants: { blue: 3, red: 4 }, lastSeen: 20 }]);
      assert.deepEqual(s.listFlagMetrics().map((m) => m.name), ['a', 'b']);
    }));

    const delivery = (id: string, hook: string, eventId: number, createdAt = 100) => ({
      id, hook, stream: 'events' as const, eventId, event: 'RolloutStarted', service: 'web', revision: 2, body: `{"n":${eventId}}`, createdAt,
    });

    test('the outbox cursor moves with its deliveries in one step, and only from where it was', withStore((s) => {
      assert.equal(s.outboxCursor('events'), 0, 'a fresh store starts at its newest event');
      assert.equal(s.outboxCursor('flagEvents'), 0);
      assert.equal(s.enqueueDeliveries('events', 0, 3, [delivery('d1', 'a', 1), delivery('d2', 'b', 1), delivery('d3', 'a', 3)]), true);
      assert.equal(s.outboxCursor('events'), 3);
      assert.equal(s.outboxCursor('flagEvents'), 0, 'each stream has its own cursor');
      assert.equal(s.enqueueDeliveries('events', 0, 5, [delivery('d4', 'a', 4)]), false, 'a stale cursor changes nothing');
      assert.equal(s.outboxCursor('events'), 3);
      assert.equal(s.enqueueDeliveries('events', 3, 4, [delivery('d5', 'a', 1)]), true);
      assert.deepEqual(s.listDeliveries().map((d) => d.id), ['d3', 'd2', 'd1'], 'newest first; one delivery per hook and event');
      const d1 = s.listDeliveries({ hook: 'a' }).at(-1)!;
      assert.deepEqual(d1, { ...delivery('d1', 'a', 1), state: 'pending', attempts: 0, nextAttemptAt: 100, lastStatus: null, lastError: null, updatedAt: 100 });
    }));

    test('due deliveries come the longest waiting first; an attempt is recorded with its events', withStore((s) => {
      s.enqueueDeliveries('events', 0, 3, [delivery('d1', 'a', 1, 100), delivery('d2', 'a', 2, 50), delivery('d3', 'b', 3, 200)]);
      assert.deepEqual(s.dueDeliveries(150, 10).map((d) => d.id), ['d2', 'd1']);
      assert.deepEqual(s.dueDeliveries(150, 1).map((d) => d.id), ['d2']);
      s.updateDelivery({ id: 'd2', state: 'pending', attempts: 1, nextAttemptAt: 1000, lastStatus: 500, lastError: 'HTTP 500', time: 150 });
      assert.deepEqual(s.dueDeliveries(300, 10).map((d) => d.id), ['d1', 'd3'], 'a retry waits for its time');
      s.updateDelivery({ id: 'd1', state: 'delivered', attempts: 1, nextAttemptAt: 0, lastStatus: 200, lastError: null, time: 160 });
      const stored = s.updateDelivery(
        { id: 'd3', state: 'failed', attempts: 3, nextAttemptAt: 0, lastStatus: null, lastError: 'connect ECONNREFUSED', time: 170 },
        [{ service: 'web', time: 170, type: 'NotificationFailed', reason: 'gave up', revision: 2 }],
      );
      assert.equal(stored.length, 1);
      assert.deepEqual(s.listEvents().map((e) => e.type), ['NotificationFailed']);
      assert.deepEqual(s.dueDeliveries(5000, 10).map((d) => d.id), ['d2']);
      const d3 = s.listDeliveries({ state: 'failed' });
      assert.deepEqual(d3.map((d) => [d.id, d.attempts, d.lastStatus, d.lastError, d.updatedAt]), [['d3', 3, null, 'connect ECONNREFUSED', 170]]);
      assert.deepEqual(s.countDeliveries(), [
        { hook: 'a', state: 'delivered', count: 1 },
        { hook: 'a', state: 'pending', count: 1 },
        { hook: 'b', state: 'failed', count: 1 },
      ]);
    }));

    test('each hook keeps its newest eventsPerService finished deliveries; pending ones stay', () => {
      const s = h.open({ eventsPerService: 2 });
      try {
        s.enqueueDeliveries('events', 0, 5, [1, 2, 3, 4, 5].map((n) => delivery(`d${n}`, 'a', n)));
        s.enqueueDeliveries('flagEvents', 0, 1, [{ ...delivery('f1', 'b', 1), stream: 'flagEvents' as const, service: null, revision: null }]);
        for (const n of [1, 2, 3, 4]) s.updateDelivery({ id: `d${n}`, state: 'delivered', attempts: 1, nextAttemptAt: 0, lastStatus: 204, lastError: null, time: 200 + n });
        s.updateDelivery({ id: 'f1', state: 'delivered', attempts: 1, nextAttemptAt: 0, lastStatus: 200, lastError: null, time: 300 });
        assert.deepEqual(s.listDeliveries().map((d) => d.id), ['f1', 'd5', 'd4', 'd3']);
        assert.equal(s.listDeliveries({ hook: 'b' })[0]!.service, null);
      } finally {
        s.close();
        h.cleanup?.();
      }
    });

    if (h.reopen) {
      const reopen = h.reopen;
      test('everything survives closing and reopening', () => {
        const s = h.open();
        try {
          s.createRevision(revision('web', 'v1'));
          s.saveRollout({ ...initialState('web', 1), stable: 1 }, [{ service: 'web', time: 1, type: 'X', reason: 'x' }]);
          s.putInstance(instance('a'));
          s.applyFlagChange({ putFlags: [flag('f')], putSegments: [{ id: 1, constraints: [] }] }, [flagEvent('f')]);
          s.addFlagMetrics([{ name: 'f', yes: 1, no: 2, variants: {} }], 5);
          s.enqueueDeliveries('events', s.outboxCursor('events'), 1, [delivery('d1', 'a', 1)]);
          s.close();
          const again = reopen();
          assert.equal(again.getRevision('web', 1)?.version, 'v1');
          assert.equal(again.getRollout('web')?.stable, 1);
          assert.equal(again.listInstances().length, 1);
          assert.equal(again.listEvents().length, 1);
          assert.equal(again.createRevision(revision('web', 'v2')).number, 2);
          assert.deepEqual(again.listFlags().map((f) => f.name), ['f']);
          assert.equal(again.listSegments().length, 1);
          assert.equal(again.listFlagEvents().length, 1);
          assert.equal(again.flagRevision(), 1);
          assert.equal(again.listFlagMetrics('f')[0]!.no, 2);
          assert.equal(again.outboxCursor('events'), 1);
          assert.deepEqual(again.dueDeliveries(1000, 10).map((d) => d.id), ['d1']);
          again.close();
        } finally {
          h.cleanup?.();
        }
      });
    }
  });
}
