// Migration complete drops what the old version reads and rollback what the
// new one reads, so each runs only once the leaving revision has no instance
// left: not while its requests are still draining, and (blue-green) not while
// the old set is kept for undo. Real hooks on a real PostgreSQL, real proxy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { postgresMigrationHooks } from '../../src/engine/migration-hooks.ts';
import { migrationStatus } from '../../src/migrate/index.ts';
import type { MigrationHooks } from '../../src/rollout/interfaces.ts';
import { ADD_PRICE, RENAME_NAME, startItemsDb, type ItemsDb } from '../helpers/items-db.ts';
import { Harness } from './helpers/harness.ts';

interface HookCall {
  step: 'complete' | 'rollback';
  /** Revisions of the instances the runtime still had when the hook ran. */
  running: number[];
}

/** The real hooks, recording when complete / rollback ran and what was still running then. */
function recording(inner: MigrationHooks, harness: () => Harness): { hooks: MigrationHooks; calls: HookCall[] } {
  const calls: HookCall[] = [];
  const note = (step: HookCall['step']) => calls.push({ step, running: harness().runtime.list({ service: 'web' }).map((i) => i.record.revision) });
  return {
    calls,
    hooks: {
      start: (f) => inner.start(f),
      complete: async (f) => (note('complete'), inner.complete(f)),
      rollback: async (f) => (note('rollback'), inner.rollback(f)),
    },
  };
}

type Answer = { status: number; version: string };

/**
 * Slow requests through the proxy, sent until at least 8 are in flight and some of them on `version`
 * (the proxy picks a revision at random by weight: 8 requests at 50% all miss one side once in 256 runs).
 * Resolves once they are in flight; `answers` resolves with each one's status and the version that answered.
 */
async function slowRequestsReaching(h: Harness, version: string): Promise<{ answers: Promise<Answer[]> }> {
  const pending: Promise<Answer>[] = [];
  while (pending.length < 64) {
    for (let i = 0; i < 4; i++) {
      pending.push(request(`${h.url}/slow?ms=1500`).then(async (r) => ({ status: r.statusCode, version: await r.body.text() })));
    }
    await h.until(() => inflight(h) >= pending.length, 'slow requests in flight', 5_000);
    if (pending.length >= 8 && inflight(h, version) > 0) return { answers: Promise.all(pending) };
  }
  throw new Error(`64 requests in flight and none on ${version}`);
}

function inflight(h: Harness, version?: string): number {
  const revisions = h.proxy.stats().find((s) => s.service === 'web')?.revisions ?? {};
  const label = new Map(h.proxy.routes().services.find((s) => s.name === 'web')?.revisions.map((r) => [r.name, r.version]));
  return Object.entries(revisions).reduce((n, [name, r]) => (version === undefined || label.get(name) === version ? n + r.inflight : n), 0);
}

/** The stop events of `revision`'s instances and the hook's event, in the order they were recorded. */
function eventsAround(h: Harness, revision: number, hookEvent: string): string[] {
  return h.controller
    .events({ service: 'web' })
    .filter((e) => (e.type === 'InstanceStopped' && e.revision === revision) || e.type === hookEvent)
    .map((e) => (e.type === 'InstanceStopped' ? `InstanceStopped (${/\((.*)\)$/.exec(e.reason)?.[1]})` : e.type));
}

async function migrationDone(h: Harness): Promise<void> {
  await h.until(() => h.store.getRollout('web')?.migration?.step === 'done', 'migration hook ran');
}

let db: ItemsDb;
before(async () => {
  db = await startItemsDb({
    '2_add_price.yaml': ADD_PRICE,
    '3_rename_name.yaml': RENAME_NAME,
    '4_add_note.yaml': 'operations:\n  - add_column: { table: items, column: { name: note, type: text, default: "\'\'" } }\n',
    '5_add_qty.yaml': 'operations:\n  - add_column: { table: items, column: { name: qty, type: integer, default: "1" } }\n',
  });
});
after(async () => db?.stop());

test('canary: complete waits for the old instances to drain; rollback for the aborted ones', async () => {
  let h: Harness | undefined;
  const rec = recording(postgresMigrationHooks(db.url, db.files), () => h!);
  h = new Harness({ service: { replicas: 1, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } }, migrations: rec.hooks });
  await h.start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2', migration: '2_add_price.yaml' });
    await h.until(() => h.status().phase === 'Paused', 'v2 canary paused');
    let reqs = await slowRequestsReaching(h, 'v1');
    await h.controller.promote('web');
    await migrationDone(h);
    let results = await reqs.answers;
    const complete = rec.calls.find((c) => c.step === 'complete')!;
    assert.deepEqual(complete.running.filter((r) => r !== 2), [], 'no v1 instance left when complete ran');
    assert.ok(results.every((r) => r.status === 200));
    const v1 = results.filter((r) => r.version === 'v1');
    assert.ok(v1.length > 0, 'some slow requests went to v1');
    // Answered in full (none cut) by a process that was gone when complete ran: they were all served before it.
    assert.deepEqual(eventsAround(h, 1, 'MigrationCompleted'), ['InstanceStopped (drained)', 'MigrationCompleted']);

    await h.controller.deploy('web', { version: 'v3', migration: '3_rename_name.yaml' });
    await h.until(() => h.status().phase === 'Paused', 'v3 canary paused');
    reqs = await slowRequestsReaching(h, 'v3');
    await h.controller.abort('web');
    await migrationDone(h);
    results = await reqs.answers;
    const rollback = rec.calls.find((c) => c.step === 'rollback')!;
    assert.deepEqual(rollback.running.filter((r) => r !== 2), [], 'no v3 instance left when rollback ran');
    const v3 = results.filter((r) => r.version === 'v3');
    assert.ok(v3.length > 0, 'some slow requests went to v3');
    assert.ok(results.every((r) => r.status === 200));
    assert.deepEqual(eventsAround(h, 3, 'MigrationRolledBack'), ['InstanceStopped (drained)', 'MigrationRolledBack']);
    assert.deepEqual((await migrationStatus({ databaseUrl: db.url })).migrations.map((m) => [m.name, m.status]), [['2_add_price', 'completed']]);
  } finally {
    await h.destroy();
  }
});

test('blue-green: complete waits for the old set to scale down; an instant undo before that rolls the migration back', async () => {
  let h: Harness | undefined;
  const rec = recording(postgresMigrationHooks(db.url, db.files), () => h!);
  const blueGreen = { blueGreen: { autoPromotionEnabled: true, autoPromotionSeconds: 0, scaleDownDelaySeconds: 3 } };
  h = new Harness({ service: { replicas: 1, strategy: blueGreen }, migrations: rec.hooks });
  await h.start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2', migration: '4_add_note.yaml' });
    await h.until(() => h.status().stableRevision?.version === 'v2', 'v2 promoted');
    assert.equal(h.store.getRollout('web')?.migration?.step, 'completing', 'not completed while the old set is kept for undo');
    assert.equal(h.status().phase, 'Progressing', 'the rollout is not done until its migration is');
    await migrationDone(h);
    await h.until(() => h.status().phase === 'Healthy', 'Healthy once complete ran');
    assert.deepEqual(rec.calls.map((c) => [c.step, c.running]), [['complete', [2]]]);
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.indexOf('ScaledDownOld') < types.indexOf('MigrationCompleted'), types.join(','));

    await h.controller.deploy('web', { version: 'v3', migration: '5_add_qty.yaml' });
    await h.until(() => h.status().stableRevision?.version === 'v3', 'v3 promoted');
    const undo = await h.controller.undo('web');
    assert.equal(undo.stableRevision?.version, 'v2', 'instant switch back to the old set');
    assert.equal(h.store.getRollout('web')?.migration?.step, 'rollingBack');
    await migrationDone(h);
    assert.deepEqual(rec.calls.slice(1).map((c) => [c.step, c.running]), [['rollback', [2]]], 'rolled back once v3 was gone, never completed');
    const st = await migrationStatus({ databaseUrl: db.url });
    assert.deepEqual(st.migrations.map((m) => m.name).filter((n) => n !== '2_add_price'), ['4_add_note']);
    assert.equal(st.inProgress, null);
  } finally {
    await h.destroy();
  }
});
