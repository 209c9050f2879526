// A tiny instance for runtime and rollout tests. Listens on PORT and answers
// every path with its version (CUTOVER_VERSION), except:
//   GET /healthz   200 "ok" (503 when never ready or after /sick)
//   GET /sick      /healthz fails from now on (to trip readiness or liveness probes)
//   GET /well      /healthz passes again
//   GET /crash     exits with code 1 at once
//   GET /slow?ms=N answers after N ms (long in-flight requests)
//   GET /pid       the process id
//   GET /item?id=N JSON { id, price, version, at }: price 10, or 12 when APP_CHANGE_EVERY=k and N % k == 0 (a
//                  shadow that differs on a share of answers); `at` is the time (differs on every answer)
//   GET /metrics   Prometheus text (metrics requests themselves not counted): app_requests_total{code},
//                  http_request_duration_seconds (histogram), app_hidden_errors_total, app_info{app_version}
// Options (env):
//   APP_START_DELAY_MS   wait this long before listening (slow start)
//   APP_NEVER_READY=1    /healthz always answers 503
//   APP_CRASH_AFTER_MS   exit(1) this long after start
//   APP_IGNORE_SIGTERM=1 ignore SIGTERM (only SIGKILL stops it)
//   APP_DRAIN_MS         on SIGTERM, keep serving in-flight requests up to this long (default 2000)
//   APP_METRICS_PATH     where the metrics are served instead of /metrics
//   APP_HIDDEN_ERROR_RATE share (0..1) of answers that are 200 to users but counted in app_hidden_errors_total
//                        (a failure only the app's own metrics show)
import { createServer } from 'node:http';

const env = process.env;
const version = env.CUTOVER_VERSION ?? 'unknown';
let healthy = env.APP_NEVER_READY !== '1';
const metricsPath = env.APP_METRICS_PATH ?? '/metrics';
/** Requests answered, by status code. */
const answered = new Map();
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const durations = { counts: BUCKETS.map(() => 0), count: 0, sum: 0 };
const hiddenRate = Number(env.APP_HIDDEN_ERROR_RATE ?? 0);
const hidden = { acc: 0, total: 0 };

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === metricsPath) return metrics(res);
  const started = performance.now();
  res.on('finish', () => observe(res.statusCode, (performance.now() - started) / 1000));
  if (url.pathname === '/healthz') return reply(res, healthy ? 200 : 503, healthy ? 'ok' : 'unhealthy');
  if (url.pathname === '/sick') {
    healthy = false;
    return reply(res, 200, 'sick');
  }
  if (url.pathname === '/well') {
    healthy = true;
    return reply(res, 200, 'well');
  }
  if (url.pathname === '/crash') {
    console.error(`crashing on request (${version})`);
    process.exit(1);
  }
  if (url.pathname === '/pid') return reply(res, 200, String(process.pid));
  if (url.pathname === '/item') {
    const id = Number(url.searchParams.get('id') ?? 0);
    const every = Number(env.APP_CHANGE_EVERY ?? 0);
    res.writeHead(200, { 'content-type': 'application/json', 'x-version': version });
    return void res.end(JSON.stringify({ id, price: every > 0 && id % every === 0 ? 12 : 10, version, at: Date.now() }));
  }
  if (url.pathname === '/slow') {
    const ms = Number(url.searchParams.get('ms') ?? 2000);
    return void setTimeout(() => reply(res, 200, version), ms);
  }
  reply(res, 200, version);
});

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/plain', 'x-version': version });
  res.end(body);
}

function observe(status, seconds) {
  answered.set(status, (answered.get(status) ?? 0) + 1);
  BUCKETS.forEach((le, i) => seconds <= le && durations.counts[i]++);
  durations.count++;
  durations.sum += seconds;
  if (status < 300 && hiddenRate > 0) {
    hidden.acc += hiddenRate;
    if (hidden.acc >= 1) {
      hidden.acc -= 1;
      hidden.total++;
    }
  }
}

function metrics(res) {
  const lines = ['# HELP app_requests_total Requests answered by this instance', '# TYPE app_requests_total counter'];
  for (const [code, n] of answered) lines.push(`app_requests_total{code="${code}"} ${n}`);
  lines.push('# HELP http_request_duration_seconds Time to answer a request', '# TYPE http_request_duration_seconds histogram');
  BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${durations.counts[i]}`));
  lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${durations.count}`);
  lines.push(`http_request_duration_seconds_sum ${durations.sum}`, `http_request_duration_seconds_count ${durations.count}`);
  lines.push('# HELP app_hidden_errors_total Answers that failed inside the app although users got 200', '# TYPE app_hidden_errors_total counter');
  lines.push(`app_hidden_errors_total ${hidden.total}`);
  lines.push('# HELP app_info The version this instance runs', '# TYPE app_info gauge', `app_info{app_version=${JSON.stringify(version)}} 1`);
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(lines.join('\n') + '\n');
}

function listen() {
  server.listen(Number(env.PORT), env.APP_HOST ?? '127.0.0.1', () => {
    console.log(`listening on ${env.PORT} version=${version} instance=${env.CUTOVER_INSTANCE ?? '-'}`);
  });
}

if (env.APP_CRASH_AFTER_MS) {
  setTimeout(() => {
    console.error(`crashing after ${env.APP_CRASH_AFTER_MS}ms`);
    process.exit(1);
  }, Number(env.APP_CRASH_AFTER_MS));
}

process.on('SIGTERM', () => {
  if (env.APP_IGNORE_SIGTERM === '1') return void console.log('ignoring SIGTERM');
  console.log('SIGTERM: closing');
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
  setTimeout(() => process.exit(0), Number(env.APP_DRAIN_MS ?? 2000)).unref();
});

const delay = Number(env.APP_START_DELAY_MS ?? 0);
if (delay > 0) setTimeout(listen, delay);
else listen();
