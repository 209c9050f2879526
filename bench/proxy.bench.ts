// Proxy benchmark: a small response direct from the upstream, through Cutover, and through nginx
// (1 worker, keepalive upstream), with the same load tool in the same run. Prints req/s, p50, p99 and ratios.
// Usage: npm run bench -- proxy [--duration 10 --connections 50 --workers 1,2 --rounds 3 --pin --https]
// --workers takes a list: one Cutover proxy per value (1 = the mode `cutover up` uses; N = node:cluster workers).
// --pin adds a half-load run with each proxy on a core of its own (wrk and the upstream on the others).
// --https: the proxies serve HTTPS (keep-alive; one self-signed P-256 certificate for both, the protocol and cipher
// each negotiates checked and printed); the upstream and "direct" stay plain HTTP.
// --max-only skips the half-load latency runs (req/s and CPU per request only).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const next = process.argv[i + 1];
  const flag = next === undefined || next.startsWith('--'); // a flag without a value (--pin)
  args.set(process.argv[i]!.replace(/^--/, ''), flag ? '' : next);
  if (!flag) i++;
}
const DURATION = Number(args.get('duration') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 50);
const WORKERS = (args.get('workers') ?? '1,2').split(',').map(Number).filter((n) => n >= 1);
/** Targets run interleaved for several rounds and the median is kept: the box is shared and noisy. */
const ROUNDS = Number(args.get('rounds') ?? 3);
const PIN = args.has('pin');
const HTTPS = args.has('https');
/** Only the max-throughput runs (req/s, CPU per request): no half-load latency runs. */
const MAX_ONLY = args.has('max-only');
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
const children: ChildProcess[] = [];

interface Result { rps: number; p50: number; p99: number; errors: number; cpuUsPerReq?: number }

/** CPU time (user+sys, µs) of a process and its children, from /proc: an efficiency figure the shared box cannot blur. */
function cpuUs(pid: number | undefined): number {
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

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(cmd: string, argv: string[], opts: { cwd?: string } = {}): ChildProcess {
  const c = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'], cwd: opts.cwd ?? root, env: { ...process.env, CUTOVER_LOG_LEVEL: 'warn' } });
  children.push(c);
  return c;
}

async function waitHttp(port: number, tls = false): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((tls ? await httpsStatus(port) : await fetch(`http://127.0.0.1:${port}/`).then(async (r) => (await r.arrayBuffer(), r.status))) === 200) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answers on ${port}`);
}

function httpsStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** The protocol and cipher a TLS client of this machine's OpenSSL (what wrk links) negotiates with the port. */
function negotiated(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(`${s.getProtocol()} ${s.getCipher().standardName} (${s.getPeerCertificate().subject.CN})`);
      s.destroy();
    });
    s.on('error', reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianResult(rs: Result[]): Result {
  return {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    cpuUsPerReq: rs[0]!.cpuUsPerReq === undefined ? undefined : median(rs.map((r) => r.cpuUsPerReq!)),
  };
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** Max throughput: wrk when installed (C, lighter on a 2-core box), autocannon otherwise. */
function loadMax(url: string, seconds: number, script?: string, cpus?: string): Result {
  if (hasWrk()) {
    const wrk = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url];
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

function wrkMs(out: string, pct: string): number {
  const m = new RegExp(`${pct.replace('%', '%')}\\s+([\\d.]+)(us|ms|s)`).exec(out);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/**
 * About half load with microsecond latencies: wrk with a per-connection pause (its Lua `delay()` hook, whole
 * ms) sized so that CONNECTIONS connections offer about `rate` req/s. The same pause for every target, so the
 * offered load is the same; autocannon (whole-ms latencies) when wrk is missing. With a fixed pause the
 * connections stay in step and arrive in bursts of up to CONNECTIONS requests; `spread` draws each pause
 * around the same mean, closer to independent users. Both are reported.
 */
function pacedLoad(url: string, seconds: number, rate: number, spread = false, cpus?: string): Result {
  if (!hasWrk()) return autocannon(url, seconds, rate);
  const pauseMs = Math.max(1, Math.round((CONNECTIONS * 1000) / rate));
  const script = join(dir, `pace-${pauseMs}${spread ? '-spread' : ''}.lua`);
  // spread: a pause drawn uniformly around the same mean, so connections drift apart instead of firing together.
  writeFileSync(script, spread ? `function delay() return math.random(1, ${2 * pauseMs - 1}) end\n` : `function delay() return ${pauseMs} end\n`);
  return loadMax(url, seconds, script, cpus);
}

/**
 * Core split for the pinned half-load runs: the proxies get the last CPU to themselves, the load tool and the
 * upstream share the others, as when a proxy runs on its own host. Without taskset or with one CPU: none.
 */
function coreSplit(): { proxy: string; rest: string } | undefined {
  const n = cpus().length;
  if (n < 2 || spawnSync('taskset', ['-V']).error !== undefined) return undefined;
  return { proxy: String(n - 1), rest: n === 2 ? '0' : `0-${n - 2}` };
}

/** Moves a running process, its threads and its child processes (nginx's worker, cluster workers) onto `cpus`. */
function pin(pid: number | undefined, cpus: string): void {
  if (!pid) return;
  spawnSync('taskset', ['-apc', cpus, String(pid)], { stdio: 'ignore' });
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const k of kids ? kids.split(' ') : []) pin(Number(k), cpus);
  } catch { /* gone */ }
}

/** Fixed-rate load (rate > 0) for the latency comparison; autocannon in its own process. */
function autocannon(url: string, seconds: number, rate: number): Result {
  const bin = join(root, 'node_modules', 'autocannon', 'autocannon.js');
  const a = ['-c', String(CONNECTIONS), '-d', String(seconds), '--json'];
  if (rate > 0) a.push('-R', String(Math.round(rate)));
  const env = { ...process.env, ...(HTTPS ? { NODE_TLS_REJECT_UNAUTHORIZED: '0' } : {}) }; // the bench's self-signed certificate
  const out = spawnSync(process.execPath, [bin, ...a, url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env }).stdout;
  const j = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, errors: j.errors + j.non2xx };
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} cpus, ${cpus()[0]?.model}, node ${process.version}; load tool: ${hasWrk() ? 'wrk (max, and paced for half load)' : 'autocannon'}; ${CONNECTIONS} connections, ${DURATION}s per run, cutover workers ${WORKERS}; ${ROUNDS} interleaved rounds, medians; ${HTTPS ? 'proxies over HTTPS (keep-alive), ' : ''}load average at start ${loadavg()}`);
  // One certificate for every proxy in HTTPS mode: P-256 (what a current ACME client issues by default). nginx 1.22
  // leaves TLS 1.3 out by default: it is turned on, so both negotiate the same protocol and cipher (checked below).
  const cert = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  if (HTTPS) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', cert.keyFile, '-out', cert.certFile,
      '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  }
  const scheme = HTTPS ? 'https' : 'http';
  const upPort = await freePort();
  const upstream = start(process.execPath, ['-e', `const h=require('node:http');const b=Buffer.from('hello world');h.createServer((q,r)=>{r.writeHead(200,{'content-type':'text/plain','content-length':b.length});r.end(b)}).listen(${upPort},'127.0.0.1')`]);
  await waitHttp(upPort);

  const cutovers: Array<[string, number, number | undefined]> = [];
  for (const w of WORKERS) {
    const cutPort = await freePort();
    const cfg = join(dir, `proxy-${w}.yaml`);
    const tls = HTTPS ? `, tls: { certFile: ${cert.certFile}, keyFile: ${cert.keyFile} }` : '';
    writeFileSync(cfg, `workers: ${w}\nlisteners:\n  - { port: ${cutPort}, host: 127.0.0.1, services: [bench]${tls} }\nservices:\n  - name: bench\n    revisions:\n      - { name: v1, weightBp: 10000, instances: [{ id: up, host: 127.0.0.1, port: ${upPort} }] }\n`);
    const cutPid = start(process.execPath, [join(root, 'dist', 'proxy', 'main.js'), JSON.stringify({ configFile: cfg })]).pid;
    await waitHttp(cutPort, HTTPS);
    cutovers.push([w === 1 ? 'cutover' : `cutover x${w} workers`, cutPort, cutPid]);
  }

  // nginx forwards the same headers Cutover adds (X-Forwarded-*, X-Request-Id), so both do the same work.
  let nginxPort = 0;
  let nginxPid: number | undefined;
  if (spawnSync('nginx', ['-v']).error === undefined) {
    nginxPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;\n  upstream up { server 127.0.0.1:${upPort}; keepalive 64; }\n  server {\n    listen 127.0.0.1:${nginxPort}${HTTPS ? ` ssl;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_certificate ${cert.certFile};\n    ssl_certificate_key ${cert.keyFile}` : ''};\n    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host; proxy_set_header X-Request-Id $request_id; }\n  }\n}\n`);
    nginxPid = start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]).pid;
    await waitHttp(nginxPort, HTTPS);
  } else {
    console.log('nginx is not installed: skipping the nginx column (apt-get install -y nginx-light)');
  }

  const targets: Array<[string, number, number | undefined]> = [['direct', upPort, undefined], ...cutovers];
  if (nginxPort) targets.push(['nginx', nginxPort, nginxPid]);
  /** The URL of a target: the proxies in the run's scheme, the upstream always plain. */
  const urlOf = (name: string, port: number): string => `${name === 'direct' ? 'http' : scheme}://127.0.0.1:${port}/`;
  if (HTTPS) {
    const seen = new Map<string, string>();
    for (const [name, port] of targets.slice(1)) seen.set(name, await negotiated(port));
    for (const [name, what] of seen) console.log(`TLS ${name}: ${what}`);
    if (new Set(seen.values()).size > 1) throw new Error('the proxies negotiate different protocols or ciphers: the comparison would not be fair');
  }
  const runs: Record<string, Result[]> = {};
  for (const [name, port] of targets) loadMax(urlOf(name, port), 2); // warm-up (JIT, connection pools)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, port, pid] of targets) {
      const before = cpuUs(pid);
      const r = loadMax(urlOf(name, port), DURATION);
      if (pid) r.cpuUsPerReq = (cpuUs(pid) - before) / (r.rps * DURATION);
      (runs[name] ??= []).push(r);
    }
  }
  const max: Record<string, Result> = {};
  for (const [name] of targets) max[name] = medianResult(runs[name]!);
  const first = cutovers[0]![0];
  const half = Math.round(max[first]!.rps / 2);
  /** Half-load runs, interleaved over the targets for ROUNDS rounds like the max runs; medians kept. */
  const halfLoad = (list: typeof targets, spread: boolean, cpus?: string): Record<string, Result> => {
    const rs: Record<string, Result[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, port] of list) (rs[name] ??= []).push(pacedLoad(urlOf(name, port), DURATION, half, spread, cpus));
    }
    return Object.fromEntries(list.map(([n]) => [n, medianResult(rs[n]!)]));
  };
  const fixed = MAX_ONLY ? {} : halfLoad(targets, false);
  const spread = hasWrk() && !MAX_ONLY ? halfLoad(targets, true) : {};
  // Last, as it moves the processes: one process per proxy on a core of its own (cluster workers would share it).
  const split = PIN && hasWrk() && !MAX_ONLY ? coreSplit() : undefined;
  const pinnedTargets = targets.filter(([n]) => !n.includes('workers'));
  let pinned: Record<string, Result> = {};
  if (split) {
    pin(upstream.pid, split.rest);
    for (const [, , pid] of pinnedTargets) pin(pid, split.proxy);
    pinned = halfLoad(pinnedTargets, true, split.rest);
  }

  const row = (n: string, r: Result): string => `| ${n} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.cpuUsPerReq ? r.cpuUsPerReq.toFixed(1) : '-'} |`;
  console.log('\nmax throughput\n| target | req/s | p50 ms | p99 ms | errors | proxy CPU µs/req |\n|---|---|---|---|---|---|');
  for (const [n] of targets) console.log(row(n, max[n]!));
  if (!MAX_ONLY) {
    console.log(`\nhalf load: about ${half} req/s offered (half of ${first}'s max; ${hasWrk() ? 'wrk with a per-connection pause' : 'autocannon, whole ms'})\n| target | req/s | p50 ms | p99 ms | errors | |\n|---|---|---|---|---|---|`);
    for (const [n] of targets) console.log(row(n, fixed[n]!));
  }
  if (hasWrk() && !MAX_ONLY) {
    console.log('\nhalf load, pauses spread around the same mean (connections out of step)\n| target | req/s | p50 ms | p99 ms | errors | |\n|---|---|---|---|---|---|');
    for (const [n] of targets) console.log(row(n, spread[n]!));
  }
  if (split) {
    console.log(`\nhalf load, pauses spread, proxy on a core of its own (proxies on CPU ${split.proxy}; wrk and the upstream on CPU ${split.rest})\n| target | req/s | p50 ms | p99 ms | errors | |\n|---|---|---|---|---|---|`);
    for (const [n] of pinnedTargets) console.log(row(n, pinned[n]!));
  }
  console.log('');
  for (const [c] of cutovers) {
    console.log(`${c} / direct throughput: ${(max[c]!.rps / max.direct!.rps).toFixed(2)}x${HTTPS ? ' (direct is plain HTTP)' : ''}`);
    if (nginxPort) {
      console.log(`${c} / nginx throughput:  ${(max[c]!.rps / max.nginx!.rps).toFixed(2)}x (goal >= 0.80x)`);
      console.log(`CPU per request, ${c} / nginx: ${(max[c]!.cpuUsPerReq! / max.nginx!.cpuUsPerReq!).toFixed(2)}x`);
    }
  }
  const added = (n: string): string => [
    `${(fixed[n]!.p99 - fixed.direct!.p99).toFixed(2)} ms`,
    spread[n] ? `pauses spread: ${(spread[n]!.p99 - spread.direct!.p99).toFixed(2)} ms` : '',
    pinned[n] ? `spread, own core: ${(pinned[n]!.p99 - pinned.direct!.p99).toFixed(2)} ms` : '',
  ].filter(Boolean).join('; ');
  if (!MAX_ONLY) {
    for (const [c] of cutovers) console.log(`${c} added p99 at half load: ${added(c)} (goal <= 1 ms)`);
    if (nginxPort) console.log(`nginx added p99 at half load: ${added('nginx')}`);
  }
  console.log(`load average at end: ${loadavg()} (other work on the box skews every figure; CPU per request is the steadiest one)`);
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  try { readFileSync(join(dir, 'nginx.pid')); } catch { /* nginx not started */ }
  rmSync(dir, { recursive: true, force: true });
}

main().then(cleanup, (err: unknown) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
