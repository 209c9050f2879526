// A client command reads only cutover.yaml's api section and stateDir, without the schema; it must agree with the full load.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { readApiSettings } from '../../src/config/api-settings.ts';
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
