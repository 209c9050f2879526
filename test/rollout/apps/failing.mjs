// A test instance whose /healthz passes but every other request answers 500
// with its version: a canary that analysis must catch.
import { createServer } from 'node:http';

const version = process.env.CUTOVER_VERSION ?? 'unknown';
const server = createServer((req, res) => {
  const ok = req.url === '/healthz';
  res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' });
  res.end(ok ? 'ok' : version);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
