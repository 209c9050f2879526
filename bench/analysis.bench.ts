/**
 * How fast analysis catches a fault, and how often it fails a healthy canary.
 * The real controller, proxy and instances in process (the controller tests'
 * harness), under steady load. Each fault run deploys a healthy canary at 10 %
 * weight, waits until analysis has judged it at least once, injects a fault
 * into the canary instance (half of its answers become 500s), and times
 * until the proxy's table gives the canary 0 % (all traffic on stable). Each
 * healthy run deploys a healthy canary, lets analysis judge it for
 * HEALTHY_SECONDS, and counts a rollback if it happened. Goals: median time
 * to stable ≤ 3 s with a 1 s interval; 0 false rollbacks.
 */
import { cpus, loadavg } from 'node:os';
import { request } from 'undici';
import { Harness } from '../test/rollout/helpers/harness.ts';
import { LoadGenerator, quantile } from '../test/helpers/load.ts';

const FAULT_RUNS = Number(process.env.FAULT_RUNS ?? 20);
const HEALTHY_RUNS = Number(process.env.HEALTHY_RUNS ?? 50);
const HEALTHY_SECONDS = Number(process.env.HEALTHY_SECONDS ?? 5);

const golden = {
  metrics: [
    { name: 'success-rate', interval: '1s', failureLimit: 0, inconclusiveLimit: 1000, successCondition: 'result >= 0.95', provider: { builtin: { metric: 'successRate', minRequests: 20 } } },
    { name: 'vs-stable', interval: '1s', failureLimit: 1, inconclusiveLimit: 1000, provider: { builtin: { compare: 'stable', minRequests: 20 } } },
  ],
};

const h = await new Harness({
  service: {
    replicas: 2,
    progressDeadlineSeconds: 60,
    analysis: { templates: { golden } },
    strategy: { canary: { analysis: { templates: ['golden'] }, steps: [{ setWeight: 10 }, { pause: {} }] } },
  },
}).start();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let version = 1;

/** Deploys a healthy canary and waits until it takes its 10 % and analysis has judged it once. */
async function deployCanary(): Promise<number> {
  version++;
  const status = await h.controller.deploy('web', { version: `v${version}` });
  const n = status.rolloutRevision!;
  await h.until(() => h.status().weight === 10, 'canary at 10 %', 30_000);
  await h.until(() => (h.status().analysis[0]?.metrics.every((m) => m.successful > 0) ?? false) || h.status().phase === 'Degraded', 'first judgement', 30_000);
  return n;
}

function canaryWeightBp(n: number): number {
  const routes = h.proxy.routes();
  return routes.services.find((s) => s.name === 'web')?.revisions.find((r) => r.name === String(n))?.weightBp ?? 0;
}

function rolledBack(): boolean {
  return h.controller.events({ service: 'web' }).some((e) => e.type === 'AnalysisRunFailed' && e.revision === version);
}

try {
  await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy', 30_000);
  const load = new LoadGenerator({ url: h.url, clients: 4, slowClients: 0, gapMs: 2, parse: (body) => ({ version: body }) });
  await sleep(2000);

  const detect: number[] = [];
  const falseInFaultRuns: number[] = [];
  for (let i = 0; i < FAULT_RUNS; i++) {
    const n = await deployCanary();
    if (rolledBack()) {
      falseInFaultRuns.push(i);
      continue;
    }
    const inst = h.runtime.list({ service: 'web', revision: n })[0]!;
    const t0 = performance.now();
    await request(`http://127.0.0.1:${inst.record.port}/fault?errorRate=0.5`).then((r) => r.body.text());
    while (canaryWeightBp(n) > 0) await sleep(5);
    detect.push(performance.now() - t0);
    await h.until(() => h.status().phase === 'Degraded', 'aborted');
  }

  let falseRollbacks = 0;
  for (let i = 0; i < HEALTHY_RUNS; i++) {
    await deployCanary();
    await sleep(HEALTHY_SECONDS * 1000);
    if (rolledBack()) {
      falseRollbacks++;
      const e = h.controller.events({ service: 'web' }).find((x) => x.type === 'AnalysisRunFailed' && x.revision === version);
      console.log(`  false rollback in healthy run ${i + 1}: ${e?.reason}`);
    }
    if (h.status().phase !== 'Degraded') await h.controller.abort('web');
  }
  const report = await load.stop();

  const measurements = HEALTHY_RUNS * HEALTHY_SECONDS * golden.metrics.length;
  console.log(`\nAnalysis — ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`load: 4 keep-alive clients (2 ms between requests), ${report.sent} requests; replicas 2, canary at 10 %; metrics: successRate >= 0.95 and compare: stable, interval 1s`);
  console.log(`fault (50 % errors) to 0 % on the canary: ${detect.length} runs, median ${(quantile(detect, 0.5) / 1000).toFixed(2)} s, p90 ${(quantile(detect, 0.9) / 1000).toFixed(2)} s, max ${(Math.max(...detect) / 1000).toFixed(2)} s (goal: median ≤ 3 s)`);
  if (falseInFaultRuns.length) console.log(`  healthy canaries rolled back before the fault: runs ${falseInFaultRuns.join(', ')}`);
  console.log(`false rollbacks of healthy canaries: ${falseRollbacks} of ${HEALTHY_RUNS} (${HEALTHY_SECONDS} s each, about ${measurements} measurements; goal 0)`);
  if (falseRollbacks > 0 || falseInFaultRuns.length > 0) process.exitCode = 1;
} finally {
  await h.destroy();
}
