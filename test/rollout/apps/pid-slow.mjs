// A test instance for liveness restarts: /slow?ms=N answers its pid after N ms
// (so a test sees which process served a request, even if the proxy retried
// it), /sick fails /healthz from then on, and SIGTERM exits at once (any
// request still in flight is cut unless it was drained first).
import { createServer } from 'node:http';

let healthy = true;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const reply = (status, body) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  if (url.pathname === '/healthz') return reply(healthy ? 200 : 503, healthy ? 'ok' : 'sick');
  if (url.pathname === '/sick') {
    healthy = false;
    return reply(200, 'sick');
  }
  if (url.pathname === '/slow') return void setTimeout(() => reply(200, String(process.pid)), Number(url.searchParams.get('ms') ?? 1000));
  reply(200, String(process.pid));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
