// A file written atomically: whole, private, parent created, no temp file left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/shared/atomic-file.ts';

test('writeFileAtomic and writeFileAtomicSync replace a file whole, with the given mode', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'state.json');
  await writeFileAtomic(file, '{"a":1}');
  assert.equal(readFileSync(file, 'utf8'), '{"a":1}');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // Concurrent writers each use their own temp file; the last rename wins and the content is one of theirs.
  await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, `{"a":${i}}`)));
  assert.match(readFileSync(file, 'utf8'), /^\{"a":\d+\}$/);
  writeFileAtomicSync(file, 'sync', 0o640);
  assert.equal(readFileSync(file, 'utf8'), 'sync');
  writeFileAtomicSync(join(dir, 'other', 'x'), 'x', 0o644);
  assert.equal(statSync(join(dir, 'other', 'x')).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['state.json']);
});
