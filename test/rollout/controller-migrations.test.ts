// The controller drives real expand/contract migrations (src/migrate on a real
// PostgreSQL) around a canary: start before the new instances, which alone get
// the version schema in their env; complete after success; rollback after abort.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresMigrationHooks } from '../../src/engine/migration-hooks.ts';
import { migrationStatus } from '../../src/migrate/index.ts';
import type { MigrationHooks } from '../../src/rollout/interfaces.ts';
import { ADD_PRICE, RENAME_NAME, startItemsDb, type ItemsDb } from '../helpers/items-db.ts';
import { Harness } from './helpers/harness.ts';

function envOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(raw.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

const canary = { replicas: 1, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } };

let db: ItemsDb;
before(async () => {
  db = await startItemsDb({
    '2_add_price.yaml': ADD_PRICE,
    '3_rename_name.yaml': RENAME_NAME,
    '4_add_note.yaml': 'operations:\n  - add_column: { table: items, column: { name: note, type: text, default: "\'\'" } }\n',
  });
});
after(async () => db?.stop());

test('migrations: start before the new instances (env only for them), complete after success, rollback after abort', async () => {
  const h = await new Harness({ service: canary, migrations: postgresMigrationHooks(db.url, db.files) }).start();
  const status = () => migrationStatus({ databaseUrl: db.url });
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2', migration: '2_add_price.yaml' });
    assert.equal((await status()).inProgress?.name, '2_add_price', 'started before the rollout');
    await h.until(() => h.status().phase === 'Paused', 'canary paused');
    const newEnv = envOf(h.pids(2)[0]!);
    assert.equal(newEnv.CUTOVER_PG_SCHEMA, 'cutover_2_add_price');
    assert.match(newEnv.PGOPTIONS ?? '', /search_path=cutover_2_add_price/);
    assert.equal(envOf(h.pids(1)[0]!).CUTOVER_PG_SCHEMA, undefined, 'old instances keep their env');
    await assert.rejects(h.controller.deploy('web', { version: 'v3' }), { code: 'MIGRATION_IN_PROGRESS' });

    await h.controller.promote('web');
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 stable');
    let done = await status();
    for (let i = 0; i < 100 && done.inProgress; i++) done = await new Promise((r) => setTimeout(r, 100)).then(status);
    assert.equal(done.inProgress, null);
    assert.deepEqual(done.migrations.map((m) => [m.name, m.status]), [['2_add_price', 'completed']]);
    // Instances of v2 started from now on (replacements) still get the migration's env.
    assert.equal(h.store.getRollout('web')?.revisionEnv?.[2]?.CUTOVER_PG_SCHEMA, 'cutover_2_add_price');

    await h.controller.deploy('web', { version: 'v3', migration: '3_rename_name.yaml' });
    await h.until(() => h.status().phase === 'Paused', 'v3 canary paused');
    assert.equal((await status()).inProgress?.name, '3_rename_name');
    await h.controller.abort('web');
    let back = await status();
    for (let i = 0; i < 100 && back.inProgress; i++) back = await new Promise((r) => setTimeout(r, 100)).then(status);
    assert.equal(back.inProgress, null, 'rolled back after the abort');
    assert.deepEqual(back.migrations.map((m) => m.name), ['2_add_price']);
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.includes('MigrationCompleted') && types.includes('MigrationRolledBack'), types.join(','));
  } finally {
    await h.destroy();
  }
});

test('a deploy whose migration started but whose rollout was never applied (the controller stopped meanwhile) rolls it back', async () => {
  let h: Harness | undefined;
  const real = postgresMigrationHooks(db.url, db.files);
  let stopDuringStart = true;
  // As when `cutover down` (or SIGTERM) lands while a long migration is starting: the controller stops before the deploy is applied.
  const hooks: MigrationHooks = {
    start: async (f) => {
      const started = await real.start(f);
      if (stopDuringStart) await h!.controller.stop();
      return started;
    },
    complete: (f) => real.complete(f),
    rollback: (f) => real.rollback(f),
  };
  h = await new Harness({ service: canary, migrations: hooks }).start();
  try {
    await h.until(() => h!.status().phase === 'Healthy', 'v1 Healthy');
    await assert.rejects(h.controller.deploy('web', { version: 'v4', migration: '4_add_note.yaml' }), { code: 'CONTROLLER_NOT_STARTED' });
    const st = await migrationStatus({ databaseUrl: db.url });
    assert.equal(st.inProgress, null, 'no migration left in progress that no rollout names');
    assert.ok(!st.migrations.some((m) => m.name === '4_add_note'), st.migrations.map((m) => m.name).join(','));

    // Nothing blocks the next controller: the same deploy goes through.
    stopDuringStart = false;
    await h.restartController();
    await h.controller.deploy('web', { version: 'v4', migration: '4_add_note.yaml' });
    assert.equal((await migrationStatus({ databaseUrl: db.url })).inProgress?.name, '4_add_note');
  } finally {
    await h.destroy();
  }
});
