/**
 * Supervises the data plane running in its own process, so the controller can
 * crash, be killed or be upgraded without touching traffic. It is the
 * controller's TrafficRouter: every call goes to the proxy that runs now,
 * across respawns. `ensure()` re-attaches to a
 * proxy left running by an earlier controller, or spawns one (detached, in its
 * own process group). `watch()` respawns it if it dies; the new one reloads
 * the last routes from its table file (written before every route change is
 * acknowledged) and keeps the same admin port.
 */
import { spawn } from 'node:child_process';
import type { ProxyLimits } from '../config/proxy-limits-schema.ts';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CutoverError } from '../errors.ts';
import type { Logger } from '../shared/log.ts';
import { ProxyAdminClient } from '../proxy/admin-client.ts';
import type { CertificateInfo, DrainResult, RoutesState, ServiceStats } from '../proxy/contract.ts';
import type { DataPlane } from './data-plane.ts';
import type { UnreachableHost } from '../rollout/state.ts';
import { isSameProcess } from '../runtime/local/proc.ts';
import { readJson } from './state-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

export class ProxyStartError extends CutoverError {
  constructor(logFile: string) {
    super('PROXY_START_FAILED', 'the proxy process did not come up', { hint: `see ${logFile}`, fields: { logFile } });
  }
}

interface ProxyState {
  pid: number;
  adminUrl: string;
  /** The limits the proxy process started with (cutover.yaml proxy.limits), as JSON. */
  limits?: string;
}

export interface ProxySupervisorOptions {
  stateDir: string;
  token: string;
  tokenFile: string;
  logger: Logger;
  /** cutover.yaml `proxy.limits`: given to a proxy process this starts. */
  limits?: ProxyLimits;
}

export class ProxySupervisor implements DataPlane {
  private state: ProxyState | undefined;
  private current: ProxyAdminClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  /** Wakes the watch loop at once when a proxy we spawned exits. */
  private wake: (() => void) | undefined;
  private readonly stateFile: string;
  private readonly logFile: string;

  constructor(private readonly opts: ProxySupervisorOptions) {
    this.stateFile = join(opts.stateDir, 'proxy.json');
    this.logFile = join(opts.stateDir, 'logs', 'proxy.log');
  }

  /** The admin client of the proxy that runs now. */
  get client(): ProxyAdminClient {
    if (!this.current) throw new CutoverError('PROXY_NOT_RUNNING', 'the proxy is not running', { hint: 'call ensure() first' });
    return this.current;
  }

  get pid(): number | undefined {
    return this.state?.pid;
  }

  apply(state: RoutesState): Promise<void> {
    return this.client.apply(state);
  }

  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    return this.client.drain(id, timeoutMs);
  }

  stats(): Promise<ServiceStats[]> {
    return this.client.stats();
  }

  routes(): Promise<RoutesState> {
    return this.client.routes();
  }

  metricsText(): Promise<string> {
    return this.client.metricsText();
  }

  /** One machine: there is no other host to wait for. */
  unreachable(): UnreachableHost[] {
    return [];
  }

  describe(): Record<string, unknown> {
    return { proxyPid: this.pid };
  }

  certificates(): Promise<CertificateInfo[]> {
    return this.client.certificates();
  }

  /** Attaches to the running proxy, or starts one. Returns true when it had to start one. */
  async ensure(): Promise<boolean> {
    const known = readJson<ProxyState>(this.stateFile);
    if (known && this.isOurProxy(known.pid) && (await this.attach(known))) {
      // A proxy left running keeps the limits it started with: say so rather than pretend they apply.
      if ((known.limits ?? '{}') !== this.limitsJson()) {
        this.opts.logger.warn({ running: JSON.parse(known.limits ?? '{}'), configured: this.opts.limits ?? {} }, 'the running proxy started with other limits than cutover.yaml proxy.limits; `cutover down` then `cutover up` applies them');
      }
      return false;
    }
    const port = known ? Number(new URL(known.adminUrl).port) : 0;
    await this.spawn(port);
    return true;
  }

  /**
   * Checks the proxy every `intervalMs` (and at once when a proxy we spawned
   * exits) and restarts it when it is gone. One check at a time: a respawn in
   * progress is never raced by a second one.
   */
  watch(onRestart: () => void, intervalMs = 500): void {
    this.watching = true;
    const loop = async () => {
      while (this.watching) {
        const alive = this.state && isSameProcess(this.state.pid) && (await this.current?.health().catch(() => false));
        if (!alive && this.watching) {
          this.opts.logger.warn({ pid: this.state?.pid }, 'proxy process is gone; restarting it');
          await this.ensure().then(onRestart, (err) => this.opts.logger.error({ err }, 'proxy restart failed'));
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, intervalMs);
          this.timer.unref();
        });
      }
    };
    void loop();
  }

  /** Stops watching; the proxy keeps running. */
  async detach(): Promise<void> {
    this.watching = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.current?.close();
  }

  /**
   * Stops the proxy (the attached one, or the one its state file names): it drains its listeners for the longest
   * drainTimeoutMs of its services and exits; SIGKILL only if it is still there `timeoutMs` later.
   */
  async stop(timeoutMs: number): Promise<void> {
    await this.detach();
    const pid = (this.state ?? readJson<ProxyState>(this.stateFile))?.pid;
    if (!pid || !this.isOurProxy(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isSameProcess(pid) && Date.now() < deadline) await sleep(50);
    if (isSameProcess(pid)) process.kill(pid, 'SIGKILL');
  }

  /**
   * True when `pid` is a running `cutover proxy` of this state dir. proxy.json
   * may be stale (a reboot, a crash): a recycled PID must never be signalled.
   */
  private isOurProxy(pid: number): boolean {
    if (!isSameProcess(pid)) return false;
    const cmdline = readCmdline(pid);
    return cmdline === undefined || (cmdline.includes('proxy') && cmdline.includes(this.stateFile));
  }

  private async attach(state: ProxyState): Promise<boolean> {
    const client = new ProxyAdminClient({ url: state.adminUrl, token: this.opts.token });
    if (!(await client.health().catch(() => false))) {
      await client.close();
      return false;
    }
    await this.current?.close();
    this.state = state;
    this.current = client;
    return true;
  }

  private limitsJson(): string {
    return JSON.stringify(this.opts.limits ?? {});
  }

  private async spawn(adminPort: number): Promise<void> {
    const before = readJson<ProxyState>(this.stateFile);
    const out = openSync(this.logFile, 'a', 0o600);
    const args = [BIN, 'proxy', '--admin-host', '127.0.0.1', '--admin-port', String(adminPort), '--token-file', this.opts.tokenFile,
      '--state-file', this.stateFile, '--table-file', join(this.opts.stateDir, 'routes.json'), '--limits', this.limitsJson()];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, CUTOVER_LOG_LEVEL: process.env.CUTOVER_LOG_LEVEL ?? 'info' } });
    closeSync(out);
    child.unref();
    child.once('exit', () => this.wake?.());
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const now = readJson<ProxyState>(this.stateFile);
      if (now && now.pid === child.pid && now.pid !== before?.pid && (await this.attach(now))) {
        this.opts.logger.info({ pid: now.pid }, 'proxy process started');
        return;
      }
      if (child.exitCode !== null || child.signalCode !== null) break; // exited (a signal leaves exitCode null)
      await sleep(50);
    }
    throw new ProxyStartError(this.logFile);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The command line of a process (undefined where /proc is not available). */
function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return existsSync('/proc/self/cmdline') ? '' : undefined;
  }
}
