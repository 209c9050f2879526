// A test app that writes a row on every request through its version's schema
// (PGOPTIONS sets search_path to the migration's version schema for new
// instances; old instances keep the base schema) and answers with the columns
// it saw, so a test can tell which shape each version used.
import { createServer } from 'node:http';
import pg from 'pg';

const version = process.env.APP_VERSION ?? process.env.CUTOVER_VERSION ?? 'dev';
// The column this version of the code writes: a new version knows the renamed one.
const nameColumn = process.env.NAME_COLUMN ?? 'name';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, options: process.env.PGOPTIONS, max: 4 });

createServer(async (req, res) => {
  if (req.url === '/healthz') return res.writeHead(200).end('ok');
  try {
    const { rows } = await pool.query(`INSERT INTO items (${nameColumn}) VALUES ($1) RETURNING *`, [`from ${version}`]);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version, pid: process.pid, schema: process.env.CUTOVER_PG_SCHEMA ?? null, columns: Object.keys(rows[0]).sort() }));
  } catch (err) {
    res.writeHead(500).end(String(err.message));
  }
}).listen(Number(process.env.PORT), '127.0.0.1');
