// Load tools the benchmarks share: processes they start, wrk or autocannon runs, CPU time from /proc, medians.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Result { rps: number; p50: number; p99: number; errors: number; cpuUsPerReq?: number }

/** What every load run of one benchmark shares: its temp dir (wrk scripts), connections, and whether it speaks HTTPS. */
const settings = { dir: '', connections: 50, https: false };
export function configureLoad(s: { dir: string; connections: number; https?: boolean }): void {
  Object.assign(settings, { https: false, ...s });
}

/** Every process a benchmark started, stopped by stopChildren(). */
export const children: ChildProcess[] = [];
export function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

/** CPU time (user+sys, µs) of a process and its children, from /proc: an efficiency figure the shared box cannot blur. */
export function cpuUs(pid: number | undefined): number {
  if (!pid) return 0;
  let total = 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    total += (Number(f[11]) + Number(f[12])) * 10_000; // clock ticks of 10 ms
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const k of kids ? kids.split(' ') : []) total += cpuUs(Number(k));
  } catch { /* gone */ }
  return total;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export function start(cmd: string, argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  const c = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'], cwd: opts.cwd ?? root, env: { ...process.env, CUTOVER_LOG_LEVEL: 'warn', ...opts.env } });
  children.push(c);
  return c;
}

export async function waitHttp(port: number, tls = false): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((tls ? await httpsStatus(port) : await fetch(`http://127.0.0.1:${port}/`).then(async (r) => (await r.arrayBuffer(), r.status))) === 200) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answers on ${port}`);
}

export function httpsStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function medianResult(rs: Result[]): Result {
  return {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    cpuUsPerReq: rs[0]!.cpuUsPerReq === undefined ? undefined : median(rs.map((r) => r.cpuUsPerReq!)),
  };
}

export function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** Max throughput: wrk when installed (C, lighter on a 2-core box), autocannon otherwise. */
export function loadMax(url: string, seconds: number, script?: string, cpus?: string): Result {
  if (hasWrk()) {
    const wrk = ['-t1', `-c${settings.connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url];
    // `cpus`: wrk runs on those CPUs only (taskset), for the pinned half-load runs.
    const run = cpus === undefined ? spawnSync('wrk', wrk, { encoding: 'utf8' }) : spawnSync('taskset', ['-c', cpus, 'wrk', ...wrk], { encoding: 'utf8' });
    const out = run.stdout;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    const errs = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const sockErr = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    return { rps, p50: wrkMs(out, '50%'), p99: wrkMs(out, '99%'), errors: Number(errs) + sockErr };
  }
  return autocannon(url, seconds, 0);
}

export function wrkMs(out: string, pct: string): number {
  const m = new RegExp(`${pct.replace('%', '%')}\\s+([\\d.]+)(us|ms|s)`).exec(out);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/**
 * About half load with microsecond latencies: wrk with a per-connection pause (its Lua `delay()` hook, whole
 * ms) sized so that settings.connections connections offer about `rate` req/s. The same pause for every target, so the
 * offered load is the same; autocannon (whole-ms latencies) when wrk is missing. With a fixed pause the
 * connections stay in step and arrive in bursts of up to settings.connections requests; `spread` draws each pause
 * around the same mean, closer to independent users. Both are reported.
 */
export function pacedLoad(url: string, seconds: number, rate: number, spread = false, cpus?: string): Result {
  if (!hasWrk()) return autocannon(url, seconds, rate);
  const pauseMs = Math.max(1, Math.round((settings.connections * 1000) / rate));
  const script = join(settings.dir, `pace-${pauseMs}${spread ? '-spread' : ''}.lua`);
  // spread: a pause drawn uniformly around the same mean, so connections drift apart instead of firing together.
  writeFileSync(script, spread ? `function delay() return math.random(1, ${2 * pauseMs - 1}) end\n` : `function delay() return ${pauseMs} end\n`);
  return loadMax(url, seconds, script, cpus);
}

/** Fixed-rate load (rate > 0) for the latency comparison; autocannon in its own process. */
export function autocannon(url: string, seconds: number, rate: number): Result {
  const bin = join(root, 'node_modules', 'autocannon', 'autocannon.js');
  const a = ['-c', String(settings.connections), '-d', String(seconds), '--json'];
  if (rate > 0) a.push('-R', String(Math.round(rate)));
  const env = { ...process.env, ...(settings.https ? { NODE_TLS_REJECT_UNAUTHORIZED: '0' } : {}) }; // the bench's self-signed certificate
  const out = spawnSync(process.execPath, [bin, ...a, url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env }).stdout;
  const j = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, errors: j.errors + j.non2xx };
}
