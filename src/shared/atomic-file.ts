/**
 * Writing a file so readers see the old content or the new, never half: the
 * content goes to a temp file beside it (private name, given mode), which is
 * then renamed over the target. The parent directory is created if missing.
 * One implementation in two call styles: async for servers, sync for start-up
 * code that has nothing else to do meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A temp name no other writer of the same file (another process, or this one concurrently) picks. */
function tempPath(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = tempPath(file);
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}

export function writeFileAtomicSync(file: string, content: string, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = tempPath(file);
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}
