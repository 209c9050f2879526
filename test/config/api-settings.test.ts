// A client command reads only cutover.yaml's api section and stateDir, without the schema; it must agree with the full load.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { readApiSettings, recordApiSettings } from '../../src/config/api-settings.ts';
import { loadConfigFile } from '../../src/config/load.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cutover-api-settings-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVICE = 'services:\n  web:\n    listen: 8080\n    run: node server.js\n';

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('the api address and state dir are the ones the full load gives, defaults included', async () => {
  for (const [name, head] of [
    ['defaults.yaml', ''],
    ['set.yaml', 'stateDir: ../state\napi: { host: 0.0.0.0, port: 7171 }\n'],
    ['port-only.yaml', 'api:\n  port: 9000\n'],
    ['v6.yaml', "api: { host: '::1' }\n"],
  ] as const) {
    const file = write(name, head + SERVICE);
    const full = loadConfigFile(file).config;
    const host = full.api.host.includes(':') ? `[${full.api.host}]` : full.api.host;
    assert.deepEqual(await readApiSettings(file), { url: `http://${host}:${full.api.port}`, stateDir: full.stateDir }, name);
  }
});

test('a problem in the rest of the file does not stop a client command', async () => {
  const file = write('bad-service.yaml', 'api: { port: 7272 }\nservices:\n  web:\n    listen: http\n');
  assert.equal((await readApiSettings(file)).url, 'http://127.0.0.1:7272');
});

test('a bad api section, bad YAML or a missing file is reported as the full validation reports it', async () => {
  const cases: Array<[string, RegExp]> = [
    [write('bad-port.yaml', `api: { port: 0 }\n${SERVICE}`), /api\.port/],
    [write('bad-host.yaml', `api: { host: 12 }\n${SERVICE}`), /api\.host/],
    [write('bad-dir.yaml', `stateDir: [a]\n${SERVICE}`), /stateDir/],
    [write('extra.yaml', `api: { port: 7000, tls: true }\n${SERVICE}`), /tls/],
    [write('syntax.yaml', 'services: [unclosed'), /YAML|flow/i],
    [join(dir, 'missing.yaml'), /cannot read the file/],
  ];
  for (const [file, message] of cases) {
    await assert.rejects(readApiSettings(file), (err: unknown) => err instanceof ConfigError && message.test(err.message), file);
  }
});

test('cutover up records the settings of its config text; they are used while the text is the same', async () => {
  const sub = join(dir, 'recorded');
  mkdirSync(sub);
  const file = join(sub, 'cutover.yaml');
  writeFileSync(file, `api: { port: 7373 }\n${SERVICE}`);
  await recordApiSettings(file);
  const recordFile = join(sub, '.cutover', 'api.json');
  assert.equal(statSync(recordFile).mode & 0o777, 0o600);
  assert.deepEqual(await readApiSettings(file), { url: 'http://127.0.0.1:7373', stateDir: join(sub, '.cutover') });

  // The record is what is read (nothing parsed): a doctored one shows it.
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as Record<string, string>;
  writeFileSync(recordFile, JSON.stringify({ ...record, url: 'http://recorded:1' }));
  assert.equal((await readApiSettings(file)).url, 'http://recorded:1');

  // A record naming another state dir (its directory was copied) is not this file's.
  writeFileSync(recordFile, JSON.stringify({ ...record, url: 'http://recorded:1', stateDir: '/copied/from/.cutover' }));
  assert.deepEqual(await readApiSettings(file), { url: 'http://127.0.0.1:7373', stateDir: join(sub, '.cutover') });

  // Any change to the text, and the file is parsed again.
  writeFileSync(file, `api: { port: 7374 }\n${SERVICE}`);
  assert.equal((await readApiSettings(file)).url, 'http://127.0.0.1:7374');

  // A record for a state dir elsewhere is written there, and not looked for.
  writeFileSync(file, `stateDir: elsewhere\napi: { port: 7375 }\n${SERVICE}`);
  await recordApiSettings(file);
  assert.deepEqual(JSON.parse(readFileSync(join(sub, 'elsewhere', 'api.json'), 'utf8')).url, 'http://127.0.0.1:7375');
  assert.equal((await readApiSettings(file)).url, 'http://127.0.0.1:7375');

  // A damaged record is ignored.
  writeFileSync(recordFile, '{ not json');
  assert.equal((await readApiSettings(file)).url, 'http://127.0.0.1:7375');
});
