/**
 * A real Prometheus for tests (Debian package `prometheus`): a config that
 * finds its targets through Cutover's service discovery, TSDB in a temp dir,
 * the web API on 127.0.0.1 and a free port. Two scrape jobs, as
 * docs/observability.md tells users: the app instances (no credentials sent to
 * them) and Cutover's own endpoints (controller and proxy metrics, with the
 * token, `honor_labels` so the proxy's `instance` label stays the instance id).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../../src/runtime/local/ports.ts';
import { waitFor } from './wait.ts';

export interface PrometheusOptions {
  /** Cutover's discovery endpoint, e.g. http://127.0.0.1:7070/api/v1/prometheus/targets. */
  sdUrl: string;
  /** The control API token (written to a 0600 file Prometheus reads). */
  token: string;
  /** Scrape and discovery refresh interval; default 1000 ms. */
  scrapeIntervalMs?: number;
  /** Listen on this port (e.g. one a config written earlier already names); default a free one. */
  port?: number;
}

export interface TestPrometheus {
  url: string;
  /** GET on Prometheus's HTTP API, e.g. api('/api/v1/query', { query: 'up' }); throws unless status is "success". */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<T>;
  /** What Prometheus printed (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-prom-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, opts.token, { mode: 0o600 });
  const every = `${opts.scrapeIntervalMs ?? 1000}ms`;
  const sd = (url: string) => ({ url, refresh_interval: every, authorization: { credentials_file: tokenFile } });
  const cutoverSd = new URL(opts.sdUrl);
  cutoverSd.searchParams.set('scope', 'cutover');
  const config = {
    global: { scrape_interval: every, scrape_timeout: every, evaluation_interval: every },
    scrape_configs: [
      { job_name: 'cutover-instances', http_sd_configs: [sd(opts.sdUrl)] },
      { job_name: 'cutover', honor_labels: true, authorization: { credentials_file: tokenFile }, http_sd_configs: [sd(cutoverSd.href)] },
    ],
  };
  // JSON is YAML: no YAML writer needed.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = opts.port ?? (await freePort());
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`prometheus did not start (${err.message}); install the Debian package "prometheus"`))),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      spawnError,
      waitFor(async () => (await request(`${url}/-/ready`).then(async (r) => (await r.body.dump(), r.statusCode))) === 200, 'prometheus to be ready', {
        timeoutMs: 30_000,
        everyMs: 100,
        ignoreErrors: true,
        context: () => output.slice(-2000),
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    log: () => output,
    stop,
    async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
      const q = new URLSearchParams(params).toString();
      const res = await request(`${url}${path}${q ? `?${q}` : ''}`);
      const body = (await res.body.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.statusCode}`);
      return body.data;
    },
  };
}
