/**
 * The state directory holds everything `cutover up` keeps between runs: the
 * SQLite store, the token, the proxy's address, logs. It is private (0700),
 * and one controller at a time owns it (a pid lock that a kill -9 cannot
 * leave stuck: a lock whose process is gone is taken over).
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../errors.ts';
import { isSameProcess, procStart } from '../runtime/local/proc.ts';

export class StateDirLockedError extends CutoverError {
  constructor(dir: string, pid: number) {
    super('STATE_DIR_LOCKED', `another controller (pid ${pid}) is running on ${dir}`, {
      status: 409,
      hint: 'stop it first, or use another stateDir',
      fields: { pid },
    });
  }
}

export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  mkdirSync(join(dir, 'logs'), { recursive: true });
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

interface LockFile {
  pid: number;
  start?: string;
}

/** The pid of the controller that holds the state dir, if it still runs. */
export function lockHolder(dir: string): number | undefined {
  const held = readJson<LockFile>(join(dir, 'controller.pid'));
  return held && isSameProcess(held.pid, held.start) ? held.pid : undefined;
}

/** Takes the controller lock; returns a release function. */
export function lockStateDir(dir: string): () => void {
  const file = join(dir, 'controller.pid');
  const mine = JSON.stringify({ pid: process.pid, start: procStart(process.pid) } satisfies LockFile);
  // Created exclusively, so two controllers starting at once cannot both win; a lock left by a dead one is taken over.
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, mine + '\n', { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        const holder = lockHolder(dir);
        throw holder !== undefined ? new StateDirLockedError(dir, holder) : err;
      }
      const holder = lockHolder(dir);
      if (holder !== undefined && holder !== process.pid) throw new StateDirLockedError(dir, holder);
      rmSync(file, { force: true });
    }
  }
  return () => {
    if (readJson<LockFile>(file)?.pid === process.pid) rmSync(file, { force: true });
  };
}
