/**
 * Runs the real `cutover up` as a child process in a temp directory, with the
 * example app, and gives tests the CLI and the API the way a user has them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/runtime/local/ports.ts';
import { request } from 'undici';
import { waitFor } from './wait.ts';
import { makeCertificate } from './certs.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'cutover.js');

export { freePort };

/** The environment for spawned `cutover` processes, without node:test's marker (it would change their exit codes). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: childEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface EngineOptions {
  /** YAML for the service `web` below `services:` (indented by 4), without `listen` and `run` (set here). */
  service: string;
  /** Command for one instance; default the example app; null for none (a service with `image`). */
  run?: string | null;
  /** Extra environment for `cutover up` (e.g. DATABASE_URL). */
  env?: Record<string, string>;
  /** Top-level YAML appended to the config (e.g. a `flags:` section). */
  extra?: string;
  /** Before `up`: writes a certificate for 127.0.0.1 and localhost (tls.crt, tls.key) into the dir; the service YAML names them. */
  certificate?: boolean;
}

export class Engine {
  readonly dir: string;
  readonly config: string;
  readonly listen: number;
  readonly apiPort: number;
  child: ChildProcess | undefined;
  /** With `certificate`: the certificate `up` serves, to trust in clients (it is its own CA). */
  certificate: Buffer | undefined;
  private output = '';

  private env: Record<string, string> = {};

  private constructor(dir: string, listen: number, apiPort: number) {
    this.dir = dir;
    this.config = join(dir, 'cutover.yaml');
    this.listen = listen;
    this.apiPort = apiPort;
  }

  /** Writes a config for one service `web` running the example app, and starts `cutover up`. */
  static async start(opts: EngineOptions): Promise<Engine> {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-e2e-'));
    cpSync(join(ROOT, 'examples', 'hello', 'server.js'), join(dir, 'server.js'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const engine = new Engine(dir, await freePort(), await freePort());
    engine.env = opts.env ?? {};
    if (opts.certificate) engine.certificate = makeCertificate(dir, 'tls', { hosts: ['localhost', '127.0.0.1'] }).cert;
    writeFileSync(
      engine.config,
      `api: { port: ${engine.apiPort} }\nservices:\n  web:\n    listen: ${engine.listen}\n${opts.run === null ? '' : `    run: ${opts.run ?? 'node server.js'}\n`}${opts.service}\n${opts.extra ?? ''}\n`,
    );
    await engine.up();
    return engine;
  }

  /** The service's URL: https:// when the engine was started with a certificate. */
  get url(): string {
    return `${this.certificate ? 'https' : 'http'}://127.0.0.1:${this.listen}`;
  }

  /** Starts (or restarts) the controller and waits until its API answers. */
  async up(...flags: string[]): Promise<void> {
    this.child = spawn(process.execPath, [BIN, 'up', '-c', this.config, ...flags], { cwd: this.dir, env: childEnv(this.env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    await this.until(async () => (await this.get('/healthz', this.apiPort)) === 200, 'control API to answer');
  }

  /** The pid in the state dir's proxy.json (the proxy process `up` runs or attached to). */
  proxyPid(): number | undefined {
    try {
      return (JSON.parse(readFileSync(join(this.dir, '.cutover', 'proxy.json'), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  }

  /** Sends a signal to the controller and waits for it to exit. */
  async stopController(signal: NodeJS.Signals): Promise<void> {
    const child = this.child!;
    if (!running(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /** kill -9 of the controller process only. */
  async killController(): Promise<void> {
    const child = this.child!;
    if (!running(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  cli(...args: string[]): Promise<CliResult> {
    return runCli([...args, '-c', this.config], { cwd: this.dir, env: this.env });
  }

  async status(): Promise<{ certificates?: Array<{ subject: string; names: string[]; notAfter: string; port: number }>; phase: string; stableRevision: { number: number; version: string } | null; canaryRevision: { number: number; version: string } | null; weight: number; stepIndex: number; revisions: Array<{ version: string; ready: number; desired: number; weight: number; role: string }> }> {
    const r = await this.cli('status', 'web', '--json');
    if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  async get(path: string, port = this.listen): Promise<number> {
    try {
      const res = await request(`http://127.0.0.1:${port}${path}`);
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 0;
    }
  }

  async until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(check, what, { timeoutMs, everyMs: 100, ignoreErrors: true, context: () => `--- cutover up output ---\n${this.output.slice(-4000)}` });
  }

  get log(): string {
    return this.output;
  }

  /** Stops everything (controller, proxy, instances) and removes the temp dir. */
  async destroy(): Promise<void> {
    await runCli(['down', '-c', this.config], { cwd: this.dir });
    if (this.child && running(this.child)) {
      const exited = new Promise((r) => this.child!.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A child killed by a signal has exitCode null and signalCode set: both null means it has not exited yet. */
function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
