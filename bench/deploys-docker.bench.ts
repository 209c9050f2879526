/**
 * Issue 16: deploy wall time and failed requests for N deploys under load
 * (default 20, DEPLOYS=N) with the docker provider, beside the process
 * provider in the same run. Each provider gets the same N deploys through a
 * real `cutover up`, split rolling / blue-green / canary as in
 * deploys.bench.ts, the same load, and the same app (the test server,
 * test/helpers/apps/server.mjs: a local process for one, a container of
 * test/helpers/docker-images.ts's image for the other). Docker deploys cycle
 * through three app images built once (cutover-test/app:1..3), so every deploy
 * changes the image and replaces every container. Prints, per provider,
 * deploys, median and p95 deploy wall time (`cutover deploy ... --wait`, start
 * to exit), requests sent and failed, and a comparison line. Exits non-zero if
 * any request failed. A private dockerd is started (test/helpers/dockerd.ts)
 * unless one answers on /var/run/docker.sock, and stopped at the end (so it
 * needs root and `dockerd` on the PATH). `npm run bench -- deploys-docker`
 * runs this alone; `npm run bench -- deploys` runs it and deploys.bench.ts.
 */
import { cpus, loadavg, networkInterfaces } from 'node:os';
import { Engine } from '../test/helpers/engine.ts';
import { service as common, strategies } from './lib/deploy-strategies.ts';
import { LoadGenerator, quantile } from '../test/helpers/load.ts';
import { startDocker, type TestDocker } from '../test/helpers/dockerd.ts';
import { APP_PORT, buildAppImage, buildTestImages } from '../test/helpers/docker-images.ts';
import { serverCommand } from '../test/helpers/apps/paths.ts';

const DEPLOYS = Number(process.env.DEPLOYS ?? 20);
// As in deploys.bench.ts: each client pauses between requests, so the load stays below saturation.
const GAP_MS = Number(process.env.GAP_MS ?? 5);

/** What differs between the providers: how the engine runs the app, and what a deploy changes. */
interface Provider {
  name: 'process' | 'docker';
  engine(strategy: string): Promise<Engine>;
  /** Arguments for deploy number i (0-based) after the first revision: a new version, and a new env or image. */
  deployArgs(label: string, i: number): string[];
  /** Facts to print when a deploy fails. */
  diagnose?(): Promise<string>;
}

const processProvider: Provider = {
  name: 'process',
  engine: (strategy) => Engine.start({ run: JSON.stringify(serverCommand()), service: common(strategy) }),
  deployArgs: (label, i) => ['--version', label, '--env', `APP_BUILD=${i + 2}`],
};

function dockerProvider(d: TestDocker, images: string[]): Provider {
  return {
    name: 'docker',
    engine: (strategy) =>
      Engine.start({
        run: null,
        service: `    image: ${images[0]}\n    port: ${APP_PORT}\n${common(strategy)}`,
        extra: `runtime: { docker: { host: '${d.host}'${d.network ? `, network: ${d.network}` : ''} } }`,
      }),
    // The first revision runs images[0]; deploy i runs images[(i + 1) % n], never the image running before it.
    deployArgs: (label, i) => ['--version', label, '--image', images[(i + 1) % images.length]!],
    // On a box shared with other docker tests: is the private daemon's bridge still there (containers unreachable without it)?
    diagnose: async () => {
      if (!d.network) return '';
      const info = (await d.docker.getNetwork(d.network).inspect().catch(() => null)) as { Options?: Record<string, string> } | null;
      const bridge = info?.Options?.['com.docker.network.bridge.name'];
      return `network ${d.network}: ${info ? `bridge ${bridge} ${bridge && networkInterfaces()[bridge] ? 'present' : 'MISSING'}` : 'gone'}`;
    },
  };
}

interface Run {
  strategy: string;
  sent: number;
  failed: number;
  failures: string[];
  wallMs: number[];
  /** Latencies (ms) of the fast requests that succeeded while the deploys ran. */
  latencies: number[];
  seconds: number;
}

async function runStrategy(p: Provider, name: string, deploys: number): Promise<Run> {
  const engine = await p.engine(strategies[name]!);
  let load: LoadGenerator | undefined;
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'first revision', 60_000);
    // The test server answers its version as plain text.
    load = new LoadGenerator({ url: engine.url, clients: 8, slowClients: 2, slowMs: 1000, gapMs: GAP_MS, parse: (body) => ({ version: body }) });
    const t0all = Date.now();
    const wallMs: number[] = [];
    for (let i = 0; i < deploys; i++) {
      const label = `${p.name}-${name}-${i + 2}`;
      const t0 = Date.now();
      const r = await engine.cli('deploy', 'web', ...p.deployArgs(label, i), '--wait');
      if (r.code !== 0) throw new Error(`${p.name} ${name}: deploy ${label} failed: ${r.stdout}\n${r.stderr}\n${(await p.diagnose?.()) ?? ''}\n--- cutover up ---\n${engine.log.slice(-3000)}`);
      wallMs.push(Date.now() - t0);
      const stable = (await engine.status()).stableRevision?.version;
      if (stable !== label) throw new Error(`${p.name} ${name}: after deploy ${label} the stable revision is ${stable}`);
    }
    const during = load.takeLatencies();
    const report = await load.stop();
    load = undefined;
    return { strategy: name, sent: report.sent, failed: report.failed, failures: report.failures, wallMs, latencies: during, seconds: (Date.now() - t0all) / 1000 };
  } finally {
    await load?.stop();
    await engine.destroy();
  }
}

async function runProvider(p: Provider): Promise<Run[]> {
  const per = Math.ceil(DEPLOYS / 3);
  const runs: Run[] = [];
  for (const [i, name] of ['rolling', 'blueGreen', 'canary'].entries()) {
    const n = Math.max(0, Math.min(per, DEPLOYS - per * i));
    if (n > 0) runs.push(await runStrategy(p, name, n));
  }
  return runs;
}

interface Summary {
  provider: string;
  deploys: number;
  median: number;
  p95: number;
  max: number;
  sent: number;
  failed: number;
  rate: number;
  p99: number;
}

function summarize(provider: string, runs: Run[]): Summary {
  const wall = runs.flatMap((r) => r.wallMs);
  const sent = runs.reduce((n, r) => n + r.sent, 0);
  return {
    provider,
    deploys: wall.length,
    median: quantile(wall, 0.5),
    p95: quantile(wall, 0.95),
    max: Math.max(...wall),
    sent,
    failed: runs.reduce((n, r) => n + r.failed, 0),
    rate: sent / runs.reduce((s, r) => s + r.seconds, 0),
    p99: quantile(runs.flatMap((r) => r.latencies), 0.99),
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const load0 = loadavg();
const results: Array<[string, Run[]]> = [];
let d: TestDocker | undefined;
try {
  results.push(['process', await runProvider(processProvider)]);
  d = await startDocker();
  const tBuild = Date.now();
  const images = [await buildTestImages(d.docker), await buildAppImage(d.docker, 'cutover-test/app:2', { APP_BUILD: '2' }), await buildAppImage(d.docker, 'cutover-test/app:3', { APP_BUILD: '3' })];
  const info = (await d.docker.info()) as { ServerVersion?: string; Driver?: string };
  console.log(`built ${images.join(', ')} in ${((Date.now() - tBuild) / 1000).toFixed(1)} s; ${d.network ? `private dockerd (network ${d.network})` : 'system dockerd'} ${info.ServerVersion}, storage driver ${info.Driver}`);
  results.push(['docker', await runProvider(dockerProvider(d, images))]);
} finally {
  await d?.stop();
}

console.log(`\nDeploys under load, process vs docker provider — ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${load0.map((l) => l.toFixed(1)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at end`);
console.log(`load: 8 keep-alive clients (${GAP_MS} ms between requests) + 2 clients of 1 s requests; replicas 2; deploy wall = \`cutover deploy ... --wait\` start to exit`);
console.log('provider  strategy   deploys  sent     failed  p99 during  deploy wall (median / max)');
for (const [provider, runs] of results) {
  for (const r of runs) {
    const sorted = [...r.wallMs].sort((a, b) => a - b);
    console.log(`${provider.padEnd(9)} ${r.strategy.padEnd(10)} ${String(r.wallMs.length).padEnd(8)} ${String(r.sent).padEnd(8)} ${String(r.failed).padEnd(7)} ${quantile(r.latencies, 0.99).toFixed(1).padStart(7)} ms  ${s(quantile(sorted, 0.5))} / ${s(sorted[sorted.length - 1]!)}`);
  }
}
console.log('\nprovider  deploys  wall median  wall p95   wall max   sent     req/s  failed  p99 during');
const sums = results.map(([provider, runs]) => summarize(provider, runs));
for (const x of sums) {
  console.log(`${x.provider.padEnd(9)} ${String(x.deploys).padEnd(8)} ${s(x.median).padStart(11)}  ${s(x.p95).padStart(8)}  ${s(x.max).padStart(8)}  ${String(x.sent).padEnd(8)} ${x.rate.toFixed(0).padStart(5)}  ${String(x.failed).padEnd(7)} ${x.p99.toFixed(1)} ms`);
}
const [proc, dock] = sums;
if (proc && dock) {
  console.log(
    `docker vs process: wall median ${s(dock.median)} vs ${s(proc.median)} (${(dock.median / proc.median).toFixed(2)}x), p95 ${s(dock.p95)} vs ${s(proc.p95)} (${(dock.p95 / proc.p95).toFixed(2)}x); failed ${dock.failed} of ${dock.sent} vs ${proc.failed} of ${proc.sent}`,
  );
}
const failed = sums.reduce((n, x) => n + x.failed, 0);
for (const [provider, runs] of results) for (const r of runs) if (r.failures.length) console.log(`${provider} ${r.strategy} failures:`, r.failures.slice(0, 5));
if (failed > 0) {
  console.error(`FAIL: ${failed} failed requests (goal 0)`);
  process.exit(1);
}
