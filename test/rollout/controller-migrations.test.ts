import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { MigrationHooks } from '../../src/rollout/ports.ts';
import { Harness } from './helpers/harness.ts';

/** Records the order of hook calls; the real hooks (src/migrate) are wired by `cutover up`. */
class RecordingHooks implements MigrationHooks {
  readonly calls: string[] = [];
  async start(file: string) {
    this.calls.push(`start ${file}`);
    return { env: { CUTOVER_SCHEMA: `schema_${file}` } };
  }
  async complete(file: string) {
    this.calls.push(`complete ${file}`);
  }
  async rollback(file: string) {
    this.calls.push(`rollback ${file}`);
  }
}

function envOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(raw.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

const canary = { replicas: 1, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } };

test('migration hooks: start before the new instances (env only for them), complete after success, rollback after abort', async () => {
  const hooks = new RecordingHooks();
  const h = await new Harness({ service: canary, migrations: hooks }).start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.controller.deploy('web', { version: 'v2', migration: 'm2' });
    assert.deepEqual(hooks.calls, ['start m2']);
    await h.until(() => h.status().phase === 'Paused', 'canary paused');
    assert.equal(envOf(h.pids('2')[0]!).CUTOVER_SCHEMA, 'schema_m2');
    assert.equal(envOf(h.pids('1')[0]!).CUTOVER_SCHEMA, undefined, 'old instances keep their env');
    await assert.rejects(h.controller.deploy('web', { version: 'v3' }), { code: 'MIGRATION_IN_PROGRESS' });
    await h.controller.promote('web');
    await h.until(() => hooks.calls.length === 2, 'complete called');
    assert.deepEqual(hooks.calls, ['start m2', 'complete m2']);
    // Instances of v2 started from now on (replacements) still get the migration's env.
    assert.deepEqual(h.store.getRollout('web')?.revisionEnv, { 2: { CUTOVER_SCHEMA: 'schema_m2' } });

    await h.controller.deploy('web', { version: 'v3', migration: 'm3' });
    await h.until(() => h.status().phase === 'Paused', 'v3 canary paused');
    await h.controller.abort('web');
    await h.until(() => hooks.calls.length === 4, 'rollback called');
    assert.deepEqual(hooks.calls.slice(2), ['start m3', 'rollback m3']);
    assert.deepEqual(Object.keys(h.store.getRollout('web')?.revisionEnv ?? {}), ['2', '3']);
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.includes('MigrationCompleted') && types.includes('MigrationRolledBack'), types.join(','));
  } finally {
    await h.destroy();
  }
});
