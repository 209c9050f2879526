// A tiny app for Cutover's quick start: answers with its version and has /healthz.
// It needs no shutdown code: Cutover drains an instance before it sends SIGTERM.
import { createServer } from 'node:http';

// CUTOVER_VERSION is the label given to `cutover deploy --version`; APP_VERSION only for running it by hand.
const version = process.env.CUTOVER_VERSION ?? process.env.APP_VERSION ?? 'dev';
const port = Number(process.env.PORT ?? 3000);
// ERROR_RATE=0.5 makes half the answers 500s: deploy such a "bad version" to watch canary analysis roll it back.
const errorRate = Number(process.env.ERROR_RATE ?? 0);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  // /slow?ms=2000 answers after a delay: handy to watch a drain keep a request alive.
  const delay = url.pathname === '/slow' ? Math.min(Number(url.searchParams.get('ms') ?? 1000), 60_000) : 0;
  setTimeout(() => {
    if (Math.random() < errorRate) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${version} failed on purpose (ERROR_RATE)\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `hello from ${version}`, version, pid: process.pid }) + '\n');
  }, delay);
});
server.listen(port, '127.0.0.1');
