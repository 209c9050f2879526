/**
 * Process identity and process groups. On Linux, /proc tells us a process's
 * state, group and kernel start time: the start time guards against PID reuse
 * (a recycled PID has a different start time) and the state lets us treat an
 * unreaped zombie as gone. Elsewhere we fall back to `kill(pid, 0)`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks since boot, as text (it is only compared). */
  start: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

/** Reads /proc/<pid>/stat; null when the process does not exist (or there is no /proc). */
export function readStat(pid: number): ProcStat | null {
  if (!HAS_PROC) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may contain spaces and parentheses; fields resume after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0] ?? '?', ppid: Number(f[1]), pgrp: Number(f[2]), start: f[19] ?? '' };
}

/** The kernel start time of `pid`, used as its identity; undefined without /proc. */
export function procStart(pid: number): string | undefined {
  return readStat(pid)?.start;
}

/** True when `pid` runs, is not a zombie, and (when `start` is known) is the same process as recorded. */
export function isSameProcess(pid: number, start?: string): boolean {
  if (!HAS_PROC) return signalZero(pid);
  const st = readStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return start === undefined || st.start === start;
}

/** PIDs of the live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return signalZero(-pgid) ? [pgid] : [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push(Number(name));
  }
  return out;
}

/**
 * Is process group `pgid` still the one started as (`leader`, `start`)? Yes
 * when the leader is that same process, or when the leader is gone but members
 * remain: the kernel never reuses a PID while a group of that number exists.
 */
export function ownsGroup(pgid: number, start?: string): boolean {
  const leader = readStat(pgid);
  if (leader && leader.state !== 'Z' && leader.state !== 'X') return start === undefined || leader.start === start;
  return groupMembers(pgid).length > 0;
}

/** Sends `signal` to the whole group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
