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
          again.close();
        } finally {
          h.cleanup?.();
        }
      });
    }
  });
}
