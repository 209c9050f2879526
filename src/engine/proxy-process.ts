/**
 * Runs the data plane in its own process, so the controller can crash, be
 * killed or be upgraded without touching traffic. `ensure()` re-attaches to a
 * proxy left running by an earlier controller, or spawns one (detached, in its
 * own process group). `watch()` respawns it if it dies; the new one reloads
 * the last routes from its table file and keeps the same admin port.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CutoverError } from '../errors.ts';
import type { Logger } from '../shared/log.ts';
import { ProxyAdminClient } from '../proxy/admin-client.ts';
import { processAlive, readJson } from './state-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

export class ProxyStartError extends CutoverError {
  constructor(logFile: string) {
    super('PROXY_START_FAILED', 'the proxy process did not come up', { hint: `see ${logFile}`, fields: { logFile } });
  }
}

interface ProxyState {
  pid: number;
  adminUrl: string;
}

export interface ProxyProcessOptions {
  stateDir: string;
  token: string;
  tokenFile: string;
  logger: Logger;
}

export class ProxyProcess {
  private state: ProxyState | undefined;
  private current: ProxyAdminClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stateFile: string;
  private readonly logFile: string;

  constructor(private readonly opts: ProxyProcessOptions) {
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

  /** Attaches to the running proxy, or starts one. Returns true when it had to start one. */
  async ensure(): Promise<boolean> {
    const known = readJson<ProxyState>(this.stateFile);
    if (known && processAlive(known.pid) && (await this.attach(known))) return false;
    const port = known ? Number(new URL(known.adminUrl).port) : 0;
    await this.spawn(port);
    return true;
  }

  /** Checks the proxy every `intervalMs` and restarts it when it is gone; `onRestart` then re-pushes state. */
  watch(onRestart: () => Promise<void>, intervalMs = 1000): void {
    const tick = async () => {
      if (this.state && processAlive(this.state.pid) && (await this.current?.health().catch(() => false))) return;
      this.opts.logger.warn({ pid: this.state?.pid }, 'proxy process is gone; restarting it');
      await this.ensure();
      await onRestart();
    };
    this.timer = setInterval(() => void tick().catch((err) => this.opts.logger.error({ err }, 'proxy restart failed')), intervalMs);
    this.timer.unref();
  }

  /** Stops watching; the proxy keeps running. */
  async detach(): Promise<void> {
    clearInterval(this.timer);
    await this.current?.close();
  }

  /** Stops the proxy (the attached one, or the one its state file names): it drains its listeners and exits. */
  async stop(timeoutMs = 15_000): Promise<void> {
    await this.detach();
    const pid = (this.state ?? readJson<ProxyState>(this.stateFile))?.pid;
    if (!pid || !processAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (processAlive(pid) && Date.now() < deadline) await sleep(50);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
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

  private async spawn(adminPort: number): Promise<void> {
    const before = readJson<ProxyState>(this.stateFile);
    const out = openSync(this.logFile, 'a', 0o600);
    const args = [BIN, 'proxy', '--admin-host', '127.0.0.1', '--admin-port', String(adminPort), '--token-file', this.opts.tokenFile,
      '--state-file', this.stateFile, '--table-file', join(this.opts.stateDir, 'routes.json')];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, CUTOVER_LOG_LEVEL: process.env.CUTOVER_LOG_LEVEL ?? 'info' } });
    closeSync(out);
    child.unref();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const now = readJson<ProxyState>(this.stateFile);
      if (now && now.pid === child.pid && now.pid !== before?.pid && (await this.attach(now))) {
        this.opts.logger.info({ pid: now.pid }, 'proxy process started');
        return;
      }
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new ProxyStartError(this.logFile);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
