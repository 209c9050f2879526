// One token file format and one constant-time bearer check, for the control API, the flag readers and the proxy's admin API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearerMatches, ensureToken, ensureTokenFile, readToken, tokenPath } from '../../src/shared/token.ts';

test('a token file is created once, private, and read back the same', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'nested', 'admin-token');
  const token = ensureTokenFile(file);
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8'), `${token}\n`);
  assert.equal(ensureTokenFile(file), token);

  // An empty file is no token: a new one replaces it.
  writeFileSync(file, '\n');
  const fresh = ensureTokenFile(file);
  assert.match(fresh, /^[0-9a-f]{64}$/);

  // A state dir keeps the control API's and the proxy's tokens apart.
  assert.equal(readToken(dir), undefined);
  const api = ensureToken(dir);
  const proxy = ensureToken(dir, 'proxy-token');
  const client = ensureToken(dir, 'client-token');
  assert.equal(new Set([api, proxy, client]).size, 3);
  assert.equal(readToken(dir), api);
  assert.equal(tokenPath(dir, 'proxy-token'), join(dir, 'proxy-token'));
});

test('bearerMatches accepts the token, with or without "Bearer ", and nothing else, whatever its length', () => {
  const token = 's3cret';
  assert.equal(bearerMatches('Bearer s3cret', token), true);
  assert.equal(bearerMatches('Bearer s3cret  ', token), true);
  // Prometheus's http_sd_configs without an authorization type, and Unleash's SDKs, send the token alone.
  assert.equal(bearerMatches('s3cret', token), true);
  for (const header of [undefined, '', 'Bearer ', 'Bearer s3cre', 'Bearer s3cret!', 'Bearer S3CRET', 'Basic s3cret', 'bearer s3cret', 'Bearer ' + 'x'.repeat(10_000)]) {
    assert.equal(bearerMatches(header, token), false, String(header).slice(0, 20));
  }
  // An empty token is never matched, not even by an empty header value.
  assert.equal(bearerMatches('Bearer ', ''), false);
  assert.equal(bearerMatches(' ', ''), false);
});
