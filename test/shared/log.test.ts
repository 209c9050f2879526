// Logs: readable lines on a terminal, JSON elsewhere, and never a secret in either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, logFormat } from '../../src/shared/log.ts';

const SECRET = 'hunter2-s3cret';

const SECRET_KEYS = ['token', 'authorization', 'password', 'databaseUrl', 'DATABASE_URL', 'env', 'secret'];
/** Two entries, three per secret key, and the env map. */
const LINES = 2 + 3 * SECRET_KEYS.length + 1;

function logTo(format: 'json' | 'pretty'): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-log-'));
  try {
    const file = join(dir, 'out.log');
    const log = createLogger('cutover', { destination: file, format });
    log.info({ service: 'web', revision: 2, event: 'WeightChanged' }, 'weight 25%');
    log.info({ instance: 'web-2-abc', pid: 4242 }, 'instance started');
    // Every secret key, at the top, one level down and two levels down.
    for (const key of SECRET_KEYS) {
      log.info({ [key]: SECRET }, `top ${key}`);
      log.info({ revision: { [key]: SECRET } }, `nested ${key}`);
      log.warn({ req: { headers: { [key]: SECRET } } }, `deep ${key}`);
    }
    log.info({ env: { API_KEY: SECRET } }, 'an env map');
    log.flush();
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('JSON lines carry the fields and no secret', () => {
  const out = logTo('json');
  assert.doesNotMatch(out, new RegExp(SECRET));
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, LINES);
  assert.deepEqual({ service: lines[0]!.service, revision: lines[0]!.revision, msg: lines[0]!.msg }, { service: 'web', revision: 2, msg: 'weight 25%' });
  assert.equal(lines.at(-1)!.env, '[redacted]');
});

test('pretty lines are readable, one per entry, and carry no secret', () => {
  const out = logTo('pretty');
  assert.doesNotMatch(out, new RegExp(SECRET));
  const lines = out.trim().split('\n');
  assert.equal(lines.length, LINES);
  assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(cutover\): weight 25% \{"service":"web","revision":2,"event":"WeightChanged"\}$/);
  // Not this process's pid and hostname on every line; an instance's pid is a field like any other.
  assert.match(lines[1]!, /INFO \(cutover\): instance started \(pid 4242\) \{"instance":"web-2-abc"\}$/);
  assert.doesNotMatch(out, new RegExp(`"pid":${process.pid}|"hostname"`));
});

test('a terminal gets pretty lines, a file or a pipe JSON, unless CUTOVER_LOG_FORMAT says', () => {
  assert.equal(logFormat('/tmp/x.log', {}), 'json');
  assert.equal(logFormat('/tmp/x.log', { CUTOVER_LOG_FORMAT: 'pretty' }), 'pretty');
  assert.equal(logFormat(2, { CUTOVER_LOG_FORMAT: 'json' }), 'json');
  assert.equal(logFormat(2, { CUTOVER_LOG_FORMAT: 'yaml' }), logFormat(2, {}));
});
