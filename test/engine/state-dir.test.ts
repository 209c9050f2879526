import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStateDir, lockStateDir } from '../../src/engine/state-dir.ts';
import { procStart } from '../../src/runtime/local/proc.ts';

test('one controller per state dir: a live holder refuses, a dead one is taken over, release removes the lock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-lock-'));
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    ensureStateDir(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'the state dir is private');
    const file = join(dir, 'controller.pid');

    writeFileSync(file, JSON.stringify({ pid: other.pid, start: procStart(other.pid!) }));
    assert.throws(() => lockStateDir(dir), (e: { code?: string; fields?: { pid?: number } }) => e.code === 'STATE_DIR_LOCKED' && e.fields?.pid === other.pid);

    other.kill('SIGKILL');
    await once(other, 'exit');
    const release = lockStateDir(dir);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid, 'a dead holder’s lock is taken over');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    release();
    assert.equal(existsSync(file), false);
  } finally {
    other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
