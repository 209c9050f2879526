/**
 * Instance log files: find them, read their last lines, follow new ones.
 * `cutover logs <service> [--revision N] [-f]` is built on these. Files are
 * `<stateDir>/logs/<service>/<revision>-<instance id>.log`, one per instance
 * (restarts append to the same file, after a `[cutover] ... starting` line).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export interface LogFile {
  path: string;
  service: string;
  revision: string;
  /** Instance id. */
  instance: string;
  mtimeMs: number;
}

/** Log files of a service (optionally one revision), oldest first. */
export function logFiles(stateDir: string, service: string, revision?: string): LogFile[] {
  const dir = join(stateDir, 'logs', service);
  if (!existsSync(dir)) return [];
  const out: LogFile[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^([^-]+)-(.+)\.log$/.exec(name);
    if (!m || (revision !== undefined && m[1] !== revision)) continue;
    const path = join(dir, name);
    out.push({ path, service, revision: m[1]!, instance: m[2]!, mtimeMs: statSync(path).mtimeMs });
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
}

const CHUNK = 64 * 1024;

/** The last `n` lines of a file (without line ends), reading backwards only as far as needed. */
export async function tailLines(file: string, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    // One more newline than lines wanted: the line before the first one kept may be cut mid-way.
    while (pos > 0 && newlines <= n) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      chunks.unshift(buf);
      for (const b of buf) if (b === 10) newlines++;
    }
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } finally {
    await fh.close();
  }
}

export interface FollowOptions {
  /** How often files are checked for growth; default 200 ms. */
  pollMs?: number;
}

/**
 * Calls `onLine` for every complete line appended to `files` until `signal`
 * aborts. Existing content is skipped. Pass a function to pick up files that
 * appear later (new instances during a deploy); those are read from their
 * start. A truncated file is read again from its start.
 */
export async function follow(
  files: string[] | (() => string[]),
  onLine: (line: string, file: string) => void,
  signal: AbortSignal,
  opts: FollowOptions = {},
): Promise<void> {
  const list = typeof files === 'function' ? files : () => files;
  const cursors = new Map<string, Cursor>();
  for (const f of list()) cursors.set(f, { offset: sizeOf(f), partial: '', decoder: new StringDecoder('utf8') });
  while (!signal.aborted) {
    for (const f of list()) if (!cursors.has(f)) cursors.set(f, { offset: 0, partial: '', decoder: new StringDecoder('utf8') });
    for (const [f, c] of cursors) await readNew(f, c, onLine);
    await sleep(opts.pollMs ?? 200, signal);
  }
}

interface Cursor {
  offset: number;
  partial: string;
  decoder: StringDecoder;
}

async function readNew(file: string, c: Cursor, onLine: (line: string, file: string) => void): Promise<void> {
  const size = sizeOf(file);
  if (size < c.offset) Object.assign(c, { offset: 0, partial: '', decoder: new StringDecoder('utf8') });
  if (size <= c.offset) return;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(size - c.offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, c.offset);
    c.offset += bytesRead;
    const lines = (c.partial + c.decoder.write(buf.subarray(0, bytesRead))).split('\n');
    c.partial = lines.pop() ?? '';
    for (const line of lines) onLine(line, file);
  } finally {
    await fh.close();
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
