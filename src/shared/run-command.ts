/**
 * A user's shell command (`sh -c`) with a timeout and a stop signal: analysis smoke tests and deploy hooks. Runs in
 * its own process group, so a timeout or a stop kills what it started too. Keeps the end of each stream.
 */
import { spawn } from 'node:child_process';

/** Output kept per stream (the end of it). */
const KEEP_BYTES = 2000;

export interface CommandRun {
  run: string;
  cwd?: string | undefined;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface CommandOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The stop signal fired before the command ended. */
  stopped: boolean;
}

/** Resolves when the command ends (whatever its exit); rejects only when it cannot start. */
export function runCommand(c: CommandRun): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', c.run], { cwd: c.cwd, env: c.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout = (stdout + b.toString()).slice(-KEEP_BYTES)));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-KEEP_BYTES)));
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, c.timeoutMs);
    const onAbort = () => kill();
    c.signal?.addEventListener('abort', onAbort, { once: true });
    if (c.signal?.aborted) kill();
    const done = () => {
      clearTimeout(timer);
      c.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('close', (code, signal) => {
      done();
      resolve({ code, signal, stdout, stderr, timedOut, stopped: c.signal?.aborted === true });
    });
  });
}

/** "stdout: ...; stderr: ..." with each trimmed to its last 300 characters, for events and measurements. */
export function describeOutput(o: Pick<CommandOutcome, 'stdout' | 'stderr'>): string {
  const parts = [];
  if (o.stdout.trim()) parts.push(`stdout: ${trim(o.stdout)}`);
  if (o.stderr.trim()) parts.push(`stderr: ${trim(o.stderr)}`);
  return parts.join('; ');
}

function trim(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > 300 ? `...${t.slice(-297)}` : t;
}
