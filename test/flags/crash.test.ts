// kill -9 while flags change: what was committed is whole (the definition and its event agree), nothing older is lost.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlagService } from '../../src/flags/service.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-flagcrash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('kill -9 in the middle of flag changes loses no committed change and leaves none half-written', async () => {
  const writer = fileURLToPath(new URL('./apps/flag-writer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
  });
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const s = new SqliteStore({ stateDir: dir });
    const n = s.flagRevision();
    s.close();
    if (n > 300) break;
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;

  const store = new SqliteStore({ stateDir: dir });
  try {
    const flags = new FlagService({ store });
    const events = flags.events({ name: 'hot', limit: 1_000_000 });
    const last = events.at(-1)!;
    assert.ok(events.length > 100, `${events.length} changes`);
    assert.deepEqual(flags.get('hot')!.definition, last.after, 'the stored flag is what its last event says');
    assert.equal(flags.snapshot().revision, last.id);
    // Every committed change is there, in order, with no gap: created, then "change 1", "change 2", ...
    assert.deepEqual(events.slice(1).map((e) => e.reason), events.slice(1).map((_, i) => `change ${i + 1}`));
  } finally {
    store.close();
  }
});
