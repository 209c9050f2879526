/**
 * Rotation of a log that a running process holds open. The instance writes
 * to its own file descriptor (opened O_APPEND), so the file cannot be moved
 * away from under it: a move would leave it writing to `<file>.1`. Instead
 * the content is copied to `<file>.1` and the file is truncated in place
 * (logrotate's `copytruncate`); with O_APPEND the next write lands at the new
 * start. What arrives during the copy is copied too, in a final synchronous
 * step just before the truncate, so only bytes written between those two
 * syscalls can be lost.
 */
import { chmodSync, closeSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';

/** Copies `file` to `<file>.1` and empties it, if it is larger than `maxBytes`. Returns whether it rotated. */
export async function rotateInPlace(file: string, maxBytes: number): Promise<boolean> {
  let ino: number;
  try {
    const st = await stat(file);
    if (st.size <= maxBytes) return false;
    ino = st.ino;
  } catch {
    return false; // no log (yet, or any more)
  }
  const old = `${file}.1`;
  const tmp = `${file}.1.tmp`;
  // The bulk copy is asynchronous: a 100 MiB log must not stall the controller's loop.
  await copyFile(file, tmp);
  const src = openSync(file, 'r+');
  const dst = openSync(tmp, 'a');
  let same: boolean;
  try {
    chmodSync(tmp, 0o600); // instance output may hold secrets
    // A restart moves a large log aside itself (spawn-instance.ts): then this copy is of a file that is gone.
    same = fstatSync(src).ino === ino;
    if (same) {
      appendRest(src, dst, fstatSync(dst).size);
      ftruncateSync(src, 0);
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
  if (!same) {
    rmSync(tmp, { force: true });
    return false;
  }
  renameSync(tmp, old);
  return true;
}

/** Appends to `dst` what `src` holds past `from` (written while the copy ran). */
function appendRest(src: number, dst: number, from: number): void {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let pos = from;
  for (;;) {
    const n = readSync(src, buf, 0, buf.length, pos);
    if (n === 0) return;
    writeSync(dst, buf, 0, n);
    pos += n;
  }
}

/**
 * Checks the logs of running instances every `everyMs` and rotates those past `maxBytes`. One pass at a time: a large
 * copy still running skips the next tick rather than rotate the same file twice at once. A full disk or a log removed
 * by hand does not stop the other files' rotation.
 */
export class LogRotator {
  private timer: NodeJS.Timeout | undefined;
  private rotating = false;

  constructor(
    private readonly files: () => string[],
    private readonly maxBytes: number,
    private readonly everyMs: number,
  ) {}

  /** Starts checking (again, after stop); idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pass(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async pass(): Promise<void> {
    if (this.rotating) return;
    this.rotating = true;
    try {
      for (const f of this.files()) await rotateInPlace(f, this.maxBytes).catch(() => false);
    } finally {
      this.rotating = false;
    }
  }
}
