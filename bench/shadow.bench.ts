// Shadow benchmark: what mirroring every request to a shadow (with comparison) costs the users of the stable one.
// Two Cutover proxies in front of the same upstream, side by side in the same run: one plain, one copying 100 % of
// requests to a second upstream and comparing the answers (the shadow strategy's data path). The upstreams are nginx
// answering a fixed JSON body (node when nginx is missing), so neither is the bottleneck.
// Prints, at a fixed offered load (half the plain proxy's max): p50/p99 of user requests and CPU per request for
// direct, plain and shadowing; then, at saturation, the share of copies the shadowing proxy dropped.
// Usage: npm run bench -- shadow [--duration 10 --connections 50 --rounds 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { configureLoad, cpuUs, freePort, hasWrk, loadavg, loadMax, medianResult, pacedLoad, root, start, stopChildren, waitHttp, type Result } from './lib/load-tools.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const DURATION = Number(args.get('duration') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 50);
const ROUNDS = Number(args.get('rounds') ?? 3);
const TOKEN = 'bench-admin-token-0123456789';
const BODY = '{"id":42,"name":"widget","price":10,"tags":["a","b"],"stock":{"count":7,"warehouse":"north"}}';
const dir = mkdtempSync(join(tmpdir(), 'cutover-shadow-bench-'));
configureLoad({ dir, connections: CONNECTIONS });

interface MirrorStats { mirrored: number; dropped: number; compared: number; differing: number; shadowErrors: number }

/** Two upstream ports answering BODY: stable and shadow. nginx when installed, else one node process. */
async function upstreams(): Promise<{ stable: number; shadow: number; kind: string }> {
  const stable = await freePort();
  const shadow = await freePort();
  if (spawnSync('nginx', ['-v']).error === undefined) {
    const server = (port: number) => `  server { listen 127.0.0.1:${port}; location / { default_type application/json; return 200 '${BODY}'; } }\n`;
    writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  keepalive_requests 100000;\n  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;\n${server(stable)}${server(shadow)}}\n`);
    start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
    await waitHttp(stable);
    await waitHttp(shadow);
    return { stable, shadow, kind: 'nginx (1 worker, fixed body)' };
  }
  const app = `const h=require('node:http');const b=Buffer.from(${JSON.stringify(BODY)});for(const p of [${stable},${shadow}])h.createServer((q,r)=>{r.writeHead(200,{'content-type':'application/json','content-length':b.length});r.end(b)}).listen(p,'127.0.0.1')`;
  start(process.execPath, ['-e', app]);
  await waitHttp(stable);
  await waitHttp(shadow);
  return { stable, shadow, kind: 'node (nginx not installed)' };
}

/** A standalone Cutover proxy (the process `cutover up` runs) with its admin API, for the mirror's counters. */
async function proxy(name: string, up: { stable: number; shadow: number }, mirror: boolean): Promise<{ port: number; admin: number; pid: number | undefined }> {
  const port = await freePort();
  const admin = await freePort();
  const cfg = join(dir, `${name}.yaml`);
  const shadowRev = mirror ? `      - { name: '2', weightBp: 0, instances: [{ id: shadow, host: 127.0.0.1, port: ${up.shadow} }] }\n    mirror: { revision: '2', percent: 100, methods: [GET, HEAD], maxInFlight: 64, compare: { ignoreHeaders: [], ignoreJsonPaths: [] } }\n` : '';
  writeFileSync(cfg, `listeners:\n  - { port: ${port}, host: 127.0.0.1, services: [bench] }\nservices:\n  - name: bench\n    revisions:\n      - { name: '1', weightBp: 10000, instances: [{ id: stable, host: 127.0.0.1, port: ${up.stable} }] }\n${shadowRev}`);
  const tokenFile = join(dir, `${name}.token`);
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const pid = start(process.execPath, [join(root, 'dist', 'proxy', 'main.js'), JSON.stringify({ configFile: cfg, adminPort: admin, tokenFile })]).pid;
  await waitHttp(port);
  return { port, admin, pid };
}

async function mirrorStats(admin: number): Promise<MirrorStats> {
  const res = await fetch(`http://127.0.0.1:${admin}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const stats = (await res.json()) as Array<{ mirror?: MirrorStats }>;
  const m = stats[0]?.mirror;
  if (!m) throw new Error('the shadowing proxy reports no mirror: the bench would measure nothing');
  return m;
}

const delta = (a: MirrorStats, b: MirrorStats): MirrorStats => ({
  mirrored: b.mirrored - a.mirrored,
  dropped: b.dropped - a.dropped,
  compared: b.compared - a.compared,
  differing: b.differing - a.differing,
  shadowErrors: b.shadowErrors - a.shadowErrors,
});

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} cpus, ${cpus()[0]?.model}, node ${process.version}; load tool: ${hasWrk() ? 'wrk' : 'autocannon (whole-ms latencies: install wrk for a meaningful p50)'}; ${CONNECTIONS} connections, ${DURATION}s per run, ${ROUNDS} interleaved rounds, medians; load average at start ${loadavg()}`);
  const up = await upstreams();
  const plain = await proxy('plain', up, false);
  const shadowing = await proxy('shadowing', up, true);
  console.log(`upstreams: ${up.kind}; body ${BODY.length} bytes of JSON; the shadowing proxy copies 100 % of GETs and compares every answer`);
  const targets: Array<[string, number, number | undefined]> = [
    ['direct', up.stable, undefined],
    ['cutover', plain.port, plain.pid],
    ['cutover + 100 % shadow', shadowing.port, shadowing.pid],
  ];
  const url = (port: number) => `http://127.0.0.1:${port}/`;
  for (const [, port] of targets) loadMax(url(port), 2); // warm-up (JIT, pools)

  const max = medianResult(Array.from({ length: ROUNDS }, () => loadMax(url(plain.port), DURATION)));
  const rate = Math.round(max.rps / 2);
  const before = await mirrorStats(shadowing.admin);
  const runs: Record<string, Result[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, port, pid] of targets) {
      const cpu = cpuUs(pid);
      const r = pacedLoad(url(port), DURATION, rate);
      if (pid) r.cpuUsPerReq = (cpuUs(pid) - cpu) / (r.rps * DURATION);
      (runs[name] ??= []).push(r);
    }
  }
  const paced = delta(before, await mirrorStats(shadowing.admin));
  const res: Record<string, Result> = {};
  for (const [name] of targets) res[name] = medianResult(runs[name]!);
  console.log(`\nfixed load: about ${rate} req/s offered (half of the plain proxy's max, ${Math.round(max.rps)} req/s)\n| target | req/s | p50 ms | p99 ms | errors | CPU µs/req |\n|---|---|---|---|---|---|`);
  for (const [name] of targets) {
    const r = res[name]!;
    console.log(`| ${name} | ${Math.round(r.rps)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.errors} | ${r.cpuUsPerReq === undefined ? '' : r.cpuUsPerReq.toFixed(1)} |`);
  }
  const p = res.cutover!;
  const s = res['cutover + 100 % shadow']!;
  const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)} %`;
  console.log(`copies in these runs: ${paced.mirrored} sent, ${paced.dropped} dropped, ${paced.compared} compared, ${paced.differing} differing, ${paced.shadowErrors} shadow errors`);
  console.log(`shadowing vs plain: p50 ${pct(p.p50, s.p50)} (goal <= 5 %), p99 ${pct(p.p99, s.p99)}, CPU per request ${(s.cpuUsPerReq! / p.cpuUsPerReq!).toFixed(2)}x`);

  // Saturation: as many requests as the shadowing proxy takes; copies beyond maxInFlight are dropped, never queued.
  const satBefore = await mirrorStats(shadowing.admin);
  const sat = loadMax(url(shadowing.port), DURATION);
  const d = delta(satBefore, await mirrorStats(shadowing.admin));
  const offered = d.mirrored + d.dropped;
  console.log(`\nsaturation: ${Math.round(sat.rps)} req/s through the shadowing proxy (plain max ${Math.round(max.rps)} req/s), ${sat.errors} errors; copies dropped: ${d.dropped} of ${offered} (${offered ? ((d.dropped / offered) * 100).toFixed(1) : '0'} %), ${d.compared} compared`);
  console.log(`load average at end: ${loadavg()}`);
}

function cleanup(): void {
  stopChildren();
  rmSync(dir, { recursive: true, force: true });
}

main().then(cleanup, (err: unknown) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
