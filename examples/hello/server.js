// A tiny app for Cutover's quick start: answers with its version and has /healthz.
// It needs no shutdown code: Cutover drains an instance before it sends SIGTERM.
import { createServer } from 'node:http';

const version = process.env.APP_VERSION ?? process.env.CUTOVER_VERSION ?? 'dev';
const port = Number(process.env.PORT ?? 3000);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  // /slow?ms=2000 answers after a delay: handy to watch a drain keep a request alive.
  const delay = url.pathname === '/slow' ? Math.min(Number(url.searchParams.get('ms') ?? 1000), 60_000) : 0;
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `hello from ${version}`, version, pid: process.pid }) + '\n');
  }, delay);
});
server.listen(port, '127.0.0.1');
