/**
 * Stops an instance's whole process group: `signal`, wait for every member to
 * exit, SIGKILL after `killAfterMs`, wait again. Every signal is preceded by
 * an identity check, so a recycled PID is never signalled.
 */
import type { InstanceRecord, StopOptions } from '../provider.ts';
import { InstanceStopTimeoutError } from '../errors.ts';
import { groupMembers, isSameProcess, ownsGroup, signalGroup } from './proc.ts';

const POLL_MS = 25;
/** After SIGKILL only the kernel can delay exit; give it this long. */
const KILL_WAIT_MS = 5_000;

export async function terminateGroup(record: InstanceRecord, opts: StopOptions): Promise<void> {
  const pgid = record.pgid ?? record.pid;
  if (!ownsGroup(pgid, record.procStart)) return;
  if (!signalGroup(pgid, opts.signal)) return;
  if (await waitGroupGone(pgid, record.procStart, opts.killAfterMs)) return;
  if (!ownsGroup(pgid, record.procStart) || !signalGroup(pgid, 'SIGKILL')) return;
  if (await waitGroupGone(pgid, record.procStart, KILL_WAIT_MS)) return;
  throw new InstanceStopTimeoutError(record.id, record.pid);
}

/** Resolves true once no live member of the group is left, false after `timeoutMs`. */
export async function waitGroupGone(pgid: number, start: string | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Checking the leader first is one file read; the group scan reads all of /proc.
    if (!isSameProcess(pgid, start) && groupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
