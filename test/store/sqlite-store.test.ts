import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { instance, storeConformance } from './store-conformance.ts';
import { initialState, ROLLOUT_STATE_VERSION } from '../../src/rollout/state.ts';

const dirs: string[] = [];
let current = '';
function fresh(): string {
  current = mkdtempSync(join(tmpdir(), 'cutover-store-'));
  dirs.push(current);
  return current;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

storeConformance('SqliteStore', {
  open: (opts) => new SqliteStore({ stateDir: fresh(), ...opts }),
  reopen: () => new SqliteStore({ stateDir: current }),
});

describe('SqliteStore', () => {
  test('the state files are readable by their owner only (revisions carry env)', () => {
    const dir = fresh();
    const store = new SqliteStore({ stateDir: dir });
    for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) {
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    }
    store.close();
  });

  test('records the schema version and refuses a newer one', () => {
    const dir = fresh();
    new SqliteStore({ stateDir: dir }).close();
    const db = new Database(join(dir, 'state.db'));
    assert.equal((db.prepare('SELECT version FROM schema_version').get() as { version: number }).version, MIGRATIONS.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length + 1);
    db.close();
    assert.throws(() => new SqliteStore({ stateDir: dir }), (err: Error & { code?: string }) => err.code === 'STORE_UNAVAILABLE' && /newer/.test(err.message));
  });

  test('kill -9 in the middle of writing leaves the last committed transition whole', async () => {
    const dir = fresh();
    const writer = fileURLToPath(new URL('./apps/writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    // Let it commit a few hundred transitions, then kill it mid-write.
    const store0 = () => new SqliteStore({ stateDir: dir });
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const s = store0();
      const n = s.getRollout('web')?.stepIndex ?? 0;
      s.close();
      if (n > 300) break;
    }
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const store = new SqliteStore({ stateDir: dir });
    try {
      const state = store.getRollout('web')!;
      assert.ok(state.stepIndex > 0);
      // The state row and its two events were one transaction: they agree.
      assert.equal(state.desired.scale[1], state.stepIndex);
      const events = store.listEvents({ limit: 2 });
      assert.deepEqual(events.map((e) => e.reason), [`step ${state.stepIndex}`, `step ${state.stepIndex}`]);
      assert.equal(store.listEvents({ limit: 1_000_000 }).length, state.stepIndex * 2);
    } finally {
      store.close();
    }
  });

  test('records written by an older Cutover are read in the current shape (units in names, numeric revisions)', () => {
    const dir = fresh();
    new SqliteStore({ stateDir: dir }).close();
    const db = new Database(join(dir, 'state.db'));
    const v1 = { ...initialState('web', 1), v: 1, weight: 25, desired: { scale: { 1: 2 }, weights: { 1: 7500, 2: 2500 }, match: [], previewPort: null } } as Record<string, unknown>;
    delete v1.weightPercent;
    db.prepare('INSERT INTO rollouts (service, shape_version, generation, body, updated_at) VALUES (?, 1, 1, ?, 1)').run('web', JSON.stringify(v1));
    db.prepare('INSERT INTO instances (id, service, revision, body) VALUES (?, ?, ?, ?)').run('a', 'web', '2', JSON.stringify({ ...instance('a'), revision: '2' }));
    db.close();
    const store = new SqliteStore({ stateDir: dir });
    try {
      const state = store.getRollout('web')!;
      assert.equal(state.v, ROLLOUT_STATE_VERSION);
      assert.equal(state.weightPercent, 25);
      assert.deepEqual(state.desired.weightsBp, { 1: 7500, 2: 2500 });
      assert.equal('weight' in state, false);
      assert.equal('weights' in state.desired, false);
      assert.deepEqual(store.listInstances({ revision: 2 }).map((r) => [r.id, r.revision]), [['a', 2]]);
    } finally {
      store.close();
    }
  });
});
