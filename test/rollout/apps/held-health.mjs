// A test instance whose readiness probe can be held: after GET /hold, /healthz
// answers nothing until GET /release (a first probe that takes as long as the
// test wants, with no timing involved); after GET /sick it answers 503. Every
// other path answers the version.
import { createServer } from 'node:http';

const version = process.env.CUTOVER_VERSION ?? 'unknown';
let health = 'ok';
const held = [];
const server = createServer((req, res) => {
  const reply = (status, body) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  if (req.url === '/healthz') {
    if (health === 'held') return void held.push(() => reply(200, 'ok'));
    return reply(health === 'ok' ? 200 : 503, health);
  }
  if (req.url === '/hold' || req.url === '/sick') {
    health = req.url === '/hold' ? 'held' : 'sick';
    return reply(200, health);
  }
  if (req.url === '/release') {
    health = 'ok';
    for (const answer of held.splice(0)) answer();
    return reply(200, 'released');
  }
  reply(200, version);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  for (const answer of held.splice(0)) answer();
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
});
