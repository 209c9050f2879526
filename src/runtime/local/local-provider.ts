/**
 * The embedded runtime: instances are processes on this machine. Each runs
 * detached in its own process group, so a crash, kill -9 or upgrade of the
 * controller leaves it serving, and a later controller adopts it again.
 */
import type { ChildProcess } from 'node:child_process';
import type { ExitListener, InstanceRecord, InstanceSpec, Probe, RuntimeProvider, StopOptions } from '../provider.ts';
import { freePort, type PortRange } from './ports.ts';
import { probeOnce } from './probe.ts';
import { groupMembers, isSameProcess, signalGroup } from './proc.ts';
import { LogRotator } from './log-rotation.ts';
import { spawnInstance } from './spawn-instance.ts';
import { terminateGroup } from './terminate.ts';

export interface LocalProviderOptions {
  /** Logs go to `<stateDir>/logs/<service>/<revision>-<id>.log`. */
  stateDir: string;
  /** Address instances are probed and proxied on; default 127.0.0.1. Instances are not told it (only PORT). */
  host?: string;
  /** How often adopted instances (not our children) are checked for exit; default 500 ms. */
  adoptPollMs?: number;
  /** Ports instances get; default the 12768 ports below the kernel's ephemeral range (20000..32767). */
  portRange?: PortRange;
  /** A log past this size is rotated to `<file>.1` (one old file kept); default 100 MiB. */
  maxLogBytes?: number;
  /** How often running instances' logs are checked against maxLogBytes; default 10 s. */
  logCheckMs?: number;
}

interface Tracked {
  record: InstanceRecord;
  child?: ChildProcess;
  poll?: NodeJS.Timeout;
  stopping: boolean;
}

export class LocalProvider implements RuntimeProvider {
  readonly name = 'local';
  readonly stateDir: string;
  readonly host: string;
  private readonly adoptPollMs: number;
  private readonly portRange: PortRange | undefined;
  private readonly maxLogBytes: number;
  /** A running instance keeps its log open for as long as it runs: its size is checked while it does. */
  private readonly logs: LogRotator;
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners: ExitListener[] = [];

  constructor(opts: LocalProviderOptions) {
    this.stateDir = opts.stateDir;
    this.host = opts.host ?? '127.0.0.1';
    this.adoptPollMs = opts.adoptPollMs ?? 500;
    this.portRange = opts.portRange;
    this.maxLogBytes = opts.maxLogBytes ?? 100 * 1024 * 1024;
    this.logs = new LogRotator(() => [...this.tracked.values()].map((t) => t.record.logFile), this.maxLogBytes, opts.logCheckMs ?? 10_000);
  }

  async start(spec: InstanceSpec): Promise<InstanceRecord> {
    const port = await freePort(this.host, this.portRange);
    const { record, child } = await spawnInstance({ stateDir: this.stateDir, host: this.host, port, maxLogBytes: this.maxLogBytes }, spec);
    this.untrack(record.id);
    const t: Tracked = { record, child, stopping: false };
    this.tracked.set(record.id, t);
    child.on('error', () => {}); // spawn errors are handled in spawnInstance; later ones (kill) need no handler
    child.once('exit', (code, signal) => this.exited(t, code, signal));
    this.logs.start();
    return { ...record };
  }

  async stop(record: InstanceRecord, opts: StopOptions): Promise<void> {
    const t = this.tracked.get(record.id);
    if (t && t.record.pid === record.pid) t.stopping = true;
    try {
      await terminateGroup(record, opts);
    } finally {
      if (t && this.tracked.get(record.id) === t) this.untrack(record.id);
    }
  }

  isAlive(record: InstanceRecord): boolean {
    return isSameProcess(record.pid, record.procStart);
  }

  probe(record: InstanceRecord, probe: Probe): Promise<boolean> {
    return probeOnce({ host: record.host, port: record.port, path: probe.path, timeoutMs: probe.timeoutMs });
  }

  adopt(record: InstanceRecord): boolean {
    const known = this.tracked.get(record.id);
    if (known && known.record.pid === record.pid) return this.isAlive(record);
    if (!this.isAlive(record)) return false;
    this.untrack(record.id);
    const t: Tracked = { record: { ...record }, stopping: false };
    // Not our child, so no exit event: watch by polling.
    t.poll = setInterval(() => {
      if (!this.isAlive(t.record)) this.exited(t, null, null);
    }, this.adoptPollMs);
    t.poll.unref();
    this.tracked.set(record.id, t);
    this.logs.start();
    return true;
  }

  onExit(listener: ExitListener): void {
    this.listeners.push(listener);
  }

  async detach(): Promise<void> {
    for (const id of [...this.tracked.keys()]) this.untrack(id);
    this.logs.stop();
  }

  /** An instance went away. Stops are expected; anything else is reported. */
  private exited(t: Tracked, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.tracked.get(t.record.id) !== t) return;
    if (t.stopping) return; // stop() waits for the group itself and untracks
    this.untrack(t.record.id);
    killLeftovers(t.record);
    for (const l of this.listeners) l({ ...t.record }, code, signal);
  }

  private untrack(id: string): void {
    const t = this.tracked.get(id);
    if (!t) return;
    if (t.poll) clearInterval(t.poll);
    t.child?.removeAllListeners('exit');
    this.tracked.delete(id);
  }
}

/**
 * When the main process dies on its own, whatever it left in its group (a
 * worker it forked, say) goes too, as when a container stops.
 */
function killLeftovers(record: InstanceRecord): void {
  const pgid = record.pgid ?? record.pid;
  if (groupMembers(pgid).length > 0) signalGroup(pgid, 'SIGKILL');
}
