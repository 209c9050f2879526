import cluster, { type Worker } from 'node:cluster';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../shared/log.ts';
import { loadStaticConfig } from './config.ts';
import { runProxyProcess, type RunProxyOptions } from './process.ts';
import { writeFileAtomic } from '../shared/atomic-file.ts';

/**
 * Entry for `cutover proxy`: one process, or with `workers: N` in the static
 * config, N node:cluster workers sharing the listening ports. Cluster mode is
 * for the static table only: in-flight counts, drain and stats live in each
 * worker, so the admin API (what `cutover up` uses) needs a single process.
 */
export async function runStandaloneProxy(opts: RunProxyOptions): Promise<void> {
  const workers = opts.configFile ? loadStaticConfig(opts.configFile).workers : 1;
  if (workers <= 1 || cluster.isWorker) {
    await runProxyProcess(cluster.isWorker ? { configFile: opts.configFile, ...(opts.limits ? { limits: opts.limits } : {}) } : opts);
    return;
  }
  if (opts.adminPort !== undefined || opts.tableFile) {
    throw new ConfigError(opts.configFile!, [{ path: 'workers', message: 'workers > 1 cannot be combined with the admin API or a table file', value: workers, hint: 'use workers: 1 when a controller drives the proxy' }]);
  }
  superviseWorkers(workers);
  if (opts.stateFile) await writeFileAtomic(opts.stateFile, JSON.stringify({ pid: process.pid, adminUrl: null }), 0o600);
}

function superviseWorkers(n: number): void {
  const log = createLogger('proxy');
  let stopping = false;
  const live = new Set<Worker>();
  const fork = (): void => {
    const w = cluster.fork();
    live.add(w);
    w.once('exit', (code, signal) => {
      live.delete(w);
      if (stopping) {
        if (live.size === 0) process.exit(0);
        return;
      }
      log.warn({ code, signal }, 'proxy worker died; starting another');
      setTimeout(fork, 200);
    });
  };
  for (let i = 0; i < n; i++) fork();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      stopping = true;
      if (live.size === 0) process.exit(0);
      for (const w of live) w.process.kill('SIGTERM');
    });
  }
}
