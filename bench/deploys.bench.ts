/**
 * Deploys 20 times in a row under steady load (rolling, blue-green and canary
 * in turn) through a real `cutover up`, and prints requests sent, failed
 * requests, p99 latency during deploys against steady state (the reference,
 * same run), and deploy wall time. Goal: 0 failed; p99 during deploys within
 * 1.5x of steady state.
 */
import { cpus, loadavg } from 'node:os';
import { Engine } from '../test/helpers/engine.ts';
import { service, strategies } from './lib/deploy-strategies.ts';
import { LoadGenerator, quantile } from '../test/helpers/load.ts';

const DEPLOYS = Number(process.env.DEPLOYS ?? 20);
const STEADY_MS = 5000;
// Each client pauses this long between requests: the load stays below saturation, so p99 shows what a deploy
// costs rather than how long requests queue on a CPU that is already full (GAP_MS=0 for closed-loop load).
const GAP_MS = Number(process.env.GAP_MS ?? 5);

interface Row {
  strategy: string;
  deploys: number;
  sent: number;
  failed: number;
  steadyP99: number;
  deployP99: number;
  wallMs: number[];
  rate: number;
}

async function runStrategy(name: string, deploys: number): Promise<Row> {
  const engine = await Engine.start({ service: service(strategies[name]!) });
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'first revision');
    const load = new LoadGenerator({ url: engine.url, clients: 8, slowClients: 2, slowMs: 1000, gapMs: GAP_MS });
    const t0all = Date.now();
    await new Promise((r) => setTimeout(r, STEADY_MS));
    const steady = load.takeLatencies();
    const wallMs: number[] = [];
    for (let i = 0; i < deploys; i++) {
      const t0 = Date.now();
      const r = await engine.cli('deploy', 'web', '--version', `${name}-${i + 2}`, '--env', `APP_VERSION=${name}-${i + 2}`, '--wait');
      if (r.code !== 0) throw new Error(`deploy ${i + 2} failed: ${r.stdout}\n${r.stderr}`);
      wallMs.push(Date.now() - t0);
    }
    const during = load.takeLatencies();
    const report = await load.stop();
    if (report.failures.length) console.log(`  ${name} failures:`, report.failures.slice(0, 5));
    const rate = report.sent / ((Date.now() - t0all) / 1000);
    return { strategy: name, deploys, sent: report.sent, failed: report.failed, steadyP99: quantile(steady, 0.99), deployP99: quantile(during, 0.99), wallMs, rate };
  } finally {
    await engine.destroy();
  }
}

const per = Math.ceil(DEPLOYS / 3);
const rows: Row[] = [];
for (const [i, name] of ['rolling', 'blueGreen', 'canary'].entries()) {
  rows.push(await runStrategy(name, Math.min(per, DEPLOYS - per * i)));
}

console.log(`\nDeploys under load — ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`load: 8 keep-alive clients (${GAP_MS} ms between requests) + 2 clients of 1 s requests; replicas 2`);
console.log('strategy   deploys  sent     req/s  failed  steady p99  deploy p99  ratio  deploy wall (median / max)');
for (const r of rows) {
  const sorted = [...r.wallMs].sort((a, b) => a - b);
  console.log(
    `${r.strategy.padEnd(10)} ${String(r.deploys).padEnd(8)} ${String(r.sent).padEnd(8)} ${r.rate.toFixed(0).padStart(5)}  ${String(r.failed).padEnd(7)} ${r.steadyP99.toFixed(1).padStart(7)} ms ${r.deployP99.toFixed(1).padStart(8)} ms  ${(r.deployP99 / r.steadyP99).toFixed(2)}x  ${(quantile(sorted, 0.5) / 1000).toFixed(1)} s / ${(sorted[sorted.length - 1]! / 1000).toFixed(1)} s`,
  );
}
const failed = rows.reduce((n, r) => n + r.failed, 0);
console.log(`total: ${rows.reduce((n, r) => n + r.deploys, 0)} deploys, ${rows.reduce((n, r) => n + r.sent, 0)} requests, ${failed} failed (goal 0)`);
