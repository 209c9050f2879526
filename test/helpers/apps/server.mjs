// A tiny instance for runtime and rollout tests. Listens on PORT and answers
// every path with its version (CUTOVER_VERSION), except:
//   GET /healthz   200 "ok" (503 when never ready or after /sick)
//   GET /sick      /healthz fails from now on (to trip readiness or liveness probes)
//   GET /well      /healthz passes again
//   GET /crash     exits with code 1 at once
//   GET /slow?ms=N answers after N ms (long in-flight requests)
//   GET /pid       the process id
//   GET /fault?errorRate=R&delayMs=D  from now on answer / like APP_ERROR_RATE=R and APP_DELAY_MS=D (fault injection)
// Options (env):
//   APP_START_DELAY_MS   wait this long before listening (slow start)
//   APP_NEVER_READY=1    /healthz always answers 503
//   APP_CRASH_AFTER_MS   exit(1) this long after start
//   APP_IGNORE_SIGTERM=1 ignore SIGTERM (only SIGKILL stops it)
//   APP_DRAIN_MS         on SIGTERM, keep serving in-flight requests up to this long (default 2000)
//   APP_ERROR_RATE       share (0..1) of requests to / answered 500 (a faulty version; /healthz stays fine)
//   APP_DELAY_MS         answer requests to / this much later (a slow version)
import { createServer } from 'node:http';

const env = process.env;
const version = env.CUTOVER_VERSION ?? 'unknown';
let healthy = env.APP_NEVER_READY !== '1';
let errorRate = Number(env.APP_ERROR_RATE ?? 0);
let delayMs = Number(env.APP_DELAY_MS ?? 0);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
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
  if (url.pathname === '/fault') {
    errorRate = Number(url.searchParams.get('errorRate') ?? 0);
    delayMs = Number(url.searchParams.get('delayMs') ?? 0);
    return reply(res, 200, `errorRate=${errorRate} delayMs=${delayMs}`);
  }
  if (url.pathname === '/slow') {
    const ms = Number(url.searchParams.get('ms') ?? 2000);
    return void setTimeout(() => reply(res, 200, version), ms);
  }
  const fail = Math.random() < errorRate;
  if (delayMs > 0) return void setTimeout(() => reply(res, fail ? 500 : 200, version), delayMs);
  reply(res, fail ? 500 : 200, version);
});

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/plain', 'x-version': version });
  res.end(body);
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
