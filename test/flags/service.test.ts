// FlagService over the SQLite store: validation refuses whole, every change is an event with who/before/after,
// restarts keep everything, restore undoes, cutover.yaml's flags apply only when the file changes them.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlagService } from '../../src/flags/service.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function open(dir = mkdtempSync(join(tmpdir(), 'cutover-flags-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = new SqliteStore({ stateDir: dir });
  return { dir, store, flags: new FlagService({ store }) };
}
const admin = { actor: 'admin' };

describe('FlagService', () => {
  test('set, enable, rollout, disable: each an event with actor, before and after; the revision moves', () => {
    const { store, flags } = open();
    try {
      assert.equal(flags.snapshot().revision, 0);
      const [created] = flags.set('checkout', { enabled: false, description: 'new checkout' }, admin);
      assert.equal(created!.type, 'created');
      assert.equal(created!.before, null);
      assert.equal(created!.actor, 'admin');
      flags.apply([{ op: 'enable', name: 'checkout' }], admin);
      assert.equal(flags.snapshot().evaluator.isEnabled('checkout', { userId: 'u1' }), true);
      const [rolled] = flags.apply([{ op: 'rollout', name: 'checkout', percent: 0 }], { actor: 'admin', reason: 'dark' });
      assert.deepEqual((rolled!.after as { strategies: unknown[] }).strategies, [
        { name: 'flexibleRollout', parameters: { rollout: '0', stickiness: 'default', groupId: 'checkout' }, constraints: [] },
      ]);
      assert.equal(rolled!.reason, 'dark');
      assert.equal(flags.snapshot().evaluator.isEnabled('checkout', { userId: 'u1' }), false);
      flags.apply([{ op: 'rollout', name: 'checkout', percent: 100 }], admin);
      assert.equal(flags.snapshot().evaluator.isEnabled('checkout', { userId: 'u1' }), true);
      const rev = flags.snapshot().revision;
      assert.deepEqual(flags.apply([{ op: 'enable', name: 'checkout' }], admin), [], 'no change, no event');
      assert.equal(flags.snapshot().revision, rev);
      flags.apply([{ op: 'disable', name: 'checkout' }], admin);
      assert.equal(flags.snapshot().evaluator.isEnabled('checkout', { userId: 'u1' }), false);
      assert.deepEqual(flags.events({ name: 'checkout' }).map((e) => e.type), ['created', 'updated', 'updated', 'updated', 'updated']);
    } finally {
      store.close();
    }
  });

  test('a bad definition is refused whole, with the path of the field, and nothing changes', () => {
    const { store, flags } = open();
    try {
      flags.set('a', { enabled: true }, admin);
      const rev = flags.snapshot().revision;
      assert.throws(
        () => flags.set('b', { enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 'lots' } }] }, admin),
        (err: Error & { code?: string }) => err.code === 'FLAG_INVALID' && /strategies\.0\.parameters\.rollout: rollout must be a number/.test(err.message),
      );
      assert.throws(
        () => flags.import({ features: [{ name: 'c', enabled: true, strategies: [] }, { name: 'd', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'userId', operator: 'REGEX', value: '(?=x)' }] }] }] }, { ...admin, replace: true }),
        (err: Error & { code?: string }) => err.code === 'FLAG_INVALID' && /features\.1\.strategies\.0\.constraints\.0\.value/.test(err.message),
      );
      assert.throws(
        () => flags.set('e', { enabled: true, dependencies: [{ feature: 'nope' }] }, admin),
        (err: Error & { code?: string }) => err.code === 'FLAG_INVALID' && /e\.dependencies\.0\.feature: flag "nope" does not exist/.test(err.message),
      );
      assert.throws(() => flags.set('f', { enabled: true, strategies: [{ name: 'default', segments: [9] }] }, admin), /segment 9 does not exist/);
      assert.throws(() => flags.apply([{ op: 'enable', name: 'ghost' }], admin), (err: Error & { code?: string }) => err.code === 'FLAG_NOT_FOUND');
      assert.deepEqual(flags.list().map((f) => f.name), ['a']);
      assert.equal(flags.snapshot().revision, rev);
    } finally {
      store.close();
    }
  });

  test('import adds or replaces; --replace deletes what the file does not name; segments come along', () => {
    const { store, flags } = open();
    try {
      flags.set('old', { enabled: true }, admin);
      const doc = {
        version: 2,
        features: [{ name: 'beta', enabled: true, strategies: [{ name: 'default', segments: [1] }] }],
        segments: [{ id: 1, name: 'testers', constraints: [{ contextName: 'userId', operator: 'IN', values: ['ann'] }] }],
      };
      flags.import(doc, admin);
      assert.deepEqual(flags.list().map((f) => f.name), ['beta', 'old']);
      assert.equal(flags.snapshot().evaluator.isEnabled('beta', { userId: 'ann' }), true);
      assert.equal(flags.snapshot().evaluator.isEnabled('beta', { userId: 'bob' }), false);
      const events = flags.import(doc, { ...admin, replace: true });
      assert.deepEqual(events.map((e) => [e.name, e.type]), [['old', 'deleted']]);
      assert.deepEqual(flags.export().features.map((f) => f.name), ['beta']);
    } finally {
      store.close();
    }
  });

  test('restore puts back what a set of events changed, created flags deleted', () => {
    const { store, flags } = open();
    try {
      flags.set('a', { enabled: false }, admin);
      const before = flags.get('a')!.definition;
      const byRollout = [
        ...flags.apply([{ op: 'rollout', name: 'a', percent: 25 }], { actor: 'rollout:web' }),
        ...flags.apply([{ op: 'rollout', name: 'a', percent: 50 }], { actor: 'rollout:web' }),
        ...flags.set('b', { enabled: true }, { actor: 'rollout:web' }),
      ];
      const undone = flags.restore(byRollout, { actor: 'rollout:web', reason: 'rollout aborted' });
      assert.deepEqual(undone.map((e) => [e.name, e.type, e.reason]), [['a', 'updated', 'rollout aborted'], ['b', 'deleted', 'rollout aborted']]);
      assert.deepEqual(flags.get('a')!.definition, before);
      assert.equal(flags.get('b'), undefined);
    } finally {
      store.close();
    }
  });

  test('everything survives a restart', () => {
    const { dir, store, flags } = open();
    flags.set('keep', { enabled: true, variants: [{ name: 'blue' }, { name: 'red' }] }, admin);
    flags.recordMetrics({ bucket: { toggles: { keep: { yes: 3, no: 1, variants: { blue: 2 } } } } });
    const rev = flags.snapshot().revision;
    store.close();
    const again = open(dir);
    try {
      assert.equal(again.flags.snapshot().revision, rev);
      assert.deepEqual(again.flags.get('keep')!.definition.variants!.map((v) => [v.name, v.weight]), [['blue', 500], ['red', 500]]);
      assert.deepEqual(again.flags.metrics('keep')[0]!.variants, { blue: 2 });
    } finally {
      again.store.close();
    }
  });

  test('cutover.yaml flags apply when new or changed in the file, not over an API change otherwise', () => {
    const { dir, store, flags } = open();
    const config = { kill: { enabled: true } };
    assert.equal(flags.syncConfig(config)[0]!.actor, 'config');
    flags.apply([{ op: 'disable', name: 'kill' }], admin);
    store.close();
    let again = open(dir);
    assert.deepEqual(again.flags.syncConfig(config), [], 'same file: the API change stands');
    assert.equal(again.flags.get('kill')!.definition.enabled, false);
    again.store.close();
    again = open(dir);
    try {
      assert.equal(again.flags.syncConfig({ kill: { enabled: true, description: 'edited' } }).length, 1);
      assert.equal(again.flags.get('kill')!.definition.enabled, true);
    } finally {
      again.store.close();
    }
  });
});
