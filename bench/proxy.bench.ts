// Proxy benchmark: a small response direct from the upstream (nginx returning a fixed body), through Cutover, and
// through nginx (1 worker, keepalive upstream), HAProxy (1 thread) and Caddy (GOMAXPROCS=1), with the same load tool
// in the same run. Prints req/s, p50, p99 and ratios.
// Usage: npm run bench -- proxy [--duration 10 --connections 50 --workers 1,2 --rounds 3 --pin --https]
// --workers takes a list: one Cutover proxy per value (1 = the mode `cutover up` uses; N = node:cluster workers).
// --pin adds a half-load run with each proxy on a core of its own (wrk and the upstream on the others).
// --https: the proxies serve HTTPS (keep-alive; one self-signed P-256 certificate for both, the protocol and cipher
// each negotiates checked and printed); the upstream and "direct" stay plain HTTP.
// --max-only skips the half-load latency runs (req/s and CPU per request only).
import { execFileSync, spawnSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { configureLoad, cpuUs, freePort, hasWrk, loadavg, loadMax, medianResult, pacedLoad, root, start, stopChildren, waitHttp, type Result } from './lib/load-tools.ts';

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
configureLoad({ dir, connections: CONNECTIONS, https: HTTPS });

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
  // The upstream must not be the bottleneck: nginx answering a fixed body (its own process, 1 worker), node when
  // nginx is missing. Every proxy goes to the same one.
  const upPort = await freePort();
  const hasNginx = spawnSync('nginx', ['-v']).error === undefined;
  let upstream;
  if (hasNginx) {
    mkdirSync(join(dir, 'upstream'));
    writeFileSync(join(dir, 'upstream', 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/upstream/nginx.pid;\nerror_log ${dir}/upstream/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  keepalive_requests 1000000;\n  client_body_temp_path ${dir}/upstream/body; proxy_temp_path ${dir}/upstream/proxy; fastcgi_temp_path ${dir}/upstream/fcgi; uwsgi_temp_path ${dir}/upstream/uwsgi; scgi_temp_path ${dir}/upstream/scgi;\n  server { listen 127.0.0.1:${upPort}; location / { default_type text/plain; return 200 'hello world'; } }\n}\n`);
    upstream = start('nginx', ['-p', join(dir, 'upstream'), '-c', join(dir, 'upstream', 'nginx.conf')]);
  } else {
    upstream = start(process.execPath, ['-e', `const h=require('node:http');const b=Buffer.from('hello world');h.createServer((q,r)=>{r.writeHead(200,{'content-type':'text/plain','content-length':b.length});r.end(b)}).listen(${upPort},'127.0.0.1')`]);
  }
  await waitHttp(upPort);
  console.log(`upstream: ${hasNginx ? 'nginx (1 worker) returning a fixed 11-byte body' : 'node:http (nginx is not installed)'}`);

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
  if (hasNginx) {
    nginxPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;\n  upstream up { server 127.0.0.1:${upPort}; keepalive 64; }\n  server {\n    listen 127.0.0.1:${nginxPort}${HTTPS ? ` ssl;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_certificate ${cert.certFile};\n    ssl_certificate_key ${cert.keyFile}` : ''};\n    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host; proxy_set_header X-Request-Id $request_id; }\n  }\n}\n`);
    nginxPid = start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]).pid;
    await waitHttp(nginxPort, HTTPS);
  } else {
    console.log('nginx is not installed: skipping the nginx column (apt-get install -y nginx-light)');
  }

  const targets: Array<[string, number, number | undefined]> = [['direct', upPort, undefined], ...cutovers];
  if (nginxPort) targets.push(['nginx', nginxPort, nginxPid]);
  // HAProxy and Caddy as further references, in plain HTTP (over HTTPS their defaults negotiate other ciphers than
  // the check below accepts, so nginx is the HTTPS reference). Both forward the same headers as Cutover and nginx.
  if (!HTTPS) for (const ref of await references(upPort)) targets.push(ref);
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
  const refs = targets.map(([n]) => n).filter((n) => ['nginx', 'haproxy', 'caddy'].includes(n));
  for (const [c] of cutovers) {
    console.log(`${c} / direct throughput: ${(max[c]!.rps / max.direct!.rps).toFixed(2)}x${HTTPS ? ' (direct is plain HTTP)' : ''}`);
    for (const ref of refs) {
      console.log(`${c} / ${ref} throughput: ${(max[c]!.rps / max[ref]!.rps).toFixed(2)}x${ref === 'nginx' ? ' (goal >= 0.80x)' : ''}; CPU per request ${(max[c]!.cpuUsPerReq! / max[ref]!.cpuUsPerReq!).toFixed(2)}x`);
    }
  }
  const added = (n: string): string => [
    `${(fixed[n]!.p99 - fixed.direct!.p99).toFixed(2)} ms`,
    spread[n] ? `pauses spread: ${(spread[n]!.p99 - spread.direct!.p99).toFixed(2)} ms` : '',
    pinned[n] ? `spread, own core: ${(pinned[n]!.p99 - pinned.direct!.p99).toFixed(2)} ms` : '',
  ].filter(Boolean).join('; ');
  if (!MAX_ONLY) {
    for (const [c] of cutovers) console.log(`${c} added p99 at half load: ${added(c)} (goal <= 1 ms)`);
    for (const ref of refs) console.log(`${ref} added p99 at half load: ${added(ref)}`);
  }
  console.log(`load average at end: ${loadavg()} (other work on the box skews every figure; CPU per request is the steadiest one)`);
}

/** HAProxy (one thread) and Caddy (GOMAXPROCS=1) proxying to the upstream, when installed; each is named when missing. */
async function references(upPort: number): Promise<Array<[string, number, number | undefined]>> {
  const out: Array<[string, number, number | undefined]> = [];
  if (spawnSync('haproxy', ['-v']).error === undefined) {
    const port = await freePort();
    writeFileSync(join(dir, 'haproxy.cfg'), `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n  unique-id-format %{+X}o%ci%cp%fi%fp%Ts%rt\nfrontend f\n  bind 127.0.0.1:${port}\n  option forwardfor\n  http-request set-header X-Forwarded-Proto http\n  http-request set-header X-Forwarded-Host %[req.hdr(host)]\n  http-request set-header X-Request-Id %[unique-id]\n  default_backend b\nbackend b\n  http-reuse always\n  server up 127.0.0.1:${upPort}\n`);
    const pid = start('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]).pid;
    await waitHttp(port);
    out.push(['haproxy', port, pid]);
  } else {
    console.log('haproxy is not installed: skipping its column (apt-get install -y haproxy)');
  }
  if (spawnSync('caddy', ['version']).error === undefined) {
    const port = await freePort();
    writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n\tlog default {\n\t\tlevel ERROR\n\t}\n}\nhttp://127.0.0.1:${port} {\n\treverse_proxy 127.0.0.1:${upPort} {\n\t\theader_up X-Request-Id {http.request.uuid}\n\t}\n}\n`);
    const pid = start('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env: { GOMAXPROCS: '1', HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } }).pid;
    await waitHttp(port);
    out.push(['caddy', port, pid]);
  } else {
    console.log('caddy is not installed: skipping its column (apt-get install -y caddy)');
  }
  return out;
}

function cleanup(): void {
  stopChildren();
  try { readFileSync(join(dir, 'nginx.pid')); } catch { /* nginx not started */ }
  rmSync(dir, { recursive: true, force: true });
}

main().then(cleanup, (err: unknown) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
