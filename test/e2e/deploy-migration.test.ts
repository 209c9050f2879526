// Code and schema move together: a deploy that names a migration starts it
// before the new instances (which get the version schema), completes it when
// the rollout succeeds, and rolls it back when the rollout is aborted. Every
// request writes a row, from both versions, and none fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { Engine, ROOT, runCli } from '../helpers/engine.ts';
import { LoadGenerator } from '../helpers/load.ts';
import { RENAME_NAME, startItemsDb, type ItemsDb } from '../helpers/items-db.ts';

let db: ItemsDb;
before(async () => {
  const addPrice = 'operations:\n  - add_column:\n      table: items\n      column: { name: price, type: integer, nullable: false, default: "0" }\n      up: "0"\n';
  db = await startItemsDb({ '1_add_price.yaml': addPrice, '2_rename_name.yaml': RENAME_NAME }, 500);
});
after(async () => db?.stop());

async function columns(table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`,
    [table],
  );
  await client.end();
  return rows.map((r) => r.column_name as string);
}

test('deploy --migration: expand before, contract after success, rollback on abort; zero failed writes', async () => {
  const engine = await Engine.start({
    run: `node ${join(ROOT, 'test/e2e/apps/db-app.mjs')}`,
    env: { DATABASE_URL: db.url },
    service: `    replicas: 2
    env: { DATABASE_URL: "${db.url}" }
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 5s, killAfter: 2s }
    strategy: { canary: { steps: [ { setWeight: 50 }, { pause: {} } ] } }`,
  });
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy');
    const load = new LoadGenerator({ url: engine.url, clients: 3, slowClients: 0, gapMs: 5 });

    const r = await engine.cli('deploy', 'web', '--version', 'v2', '--env', 'APP_VERSION=v2', '--migration', join(db.files, '1_add_price.yaml'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    await engine.until(async () => (await engine.status()).phase === 'Paused', 'the v2 canary to pause');
    load.resetCounts();
    await new Promise((res) => setTimeout(res, 1000));
    assert.ok(load.report.versions.v1 && load.report.versions.v2, 'both versions write side by side during the migration');
    const promote = await engine.cli('promote', 'web', '--full', '--wait');
    assert.equal(promote.code, 0, `${promote.stdout}\n${promote.stderr}\n${engine.log.slice(-3000)}`);
    assert.deepEqual(await columns('items'), ['id', 'name', 'price'], 'complete put the new column in place');
    const status = await runCli(['migrate', 'status', '--json', '--database-url', db.url]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as { inProgress: unknown; migrations: Array<{ name: string; status: string }> };
    assert.equal(report.inProgress, null);
    assert.deepEqual(report.migrations.map((m) => [m.name, m.status]), [['1_add_price', 'completed']]);

    // A canary with a second migration, aborted while paused: the migration is rolled back.
    const paused = await engine.cli('deploy', 'web', '--version', 'v3', '--env', 'APP_VERSION=v3', '--env', 'NAME_COLUMN=title', '--migration', join(db.files, '2_rename_name.yaml'));
    assert.equal(paused.code, 0, paused.stderr);
    await engine.until(async () => (await engine.status()).phase === 'Paused', 'the v3 canary to pause at 50%');
    load.resetCounts();
    await new Promise((res) => setTimeout(res, 1000));
    assert.ok(load.report.versions.v3, 'v3 wrote through the renamed column while v2 kept the old name');
    const abort = await engine.cli('abort', 'web');
    assert.equal(abort.code, 0, abort.stderr);
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Degraded' && s.revisions.every((rev) => rev.version !== 'v3' || rev.ready === 0);
    }, 'v3 gone after abort');
    await engine.until(async () => (await columns('items')).join() === 'id,name,price', 'the rename rolled back');

    load.resetCounts();
    await new Promise((res) => setTimeout(res, 500));
    const load2 = await load.stop();
    assert.deepEqual(load2.failures, [], 'every write from every version succeeded');
    assert.ok(load2.ok > 50);
    assert.deepEqual(Object.keys(load2.versions), ['v2'], 'after the abort only v2 serves');
  } finally {
    await engine.destroy();
  }
});
