// The certificate checks `cutover validate` and `cutover up` run on the files cutover.yaml names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import { checkTlsFiles } from '../../src/config/tls-check.ts';
import { makeCertificate } from '../helpers/certs.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-tls-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = makeCertificate(dir, 'a', { hosts: ['a.test', '*.a.test'] });
const b = makeCertificate(dir, 'b', { hosts: ['b.test'] });
const soon = makeCertificate(dir, 'soon', { hosts: ['soon.test'], days: 3 });

function check(services: Record<string, { hosts?: string[]; certFile: string; keyFile: string }>, readKeys = true, now?: number) {
  const cfg = parseConfig({
    services: Object.fromEntries(Object.entries(services).map(([name, s], i) => [name, { listen: 8000 + i, run: 'x', ...(s.hosts ? { hosts: s.hosts } : {}), tls: { certFile: s.certFile, keyFile: s.keyFile } }])),
  });
  return checkTlsFiles(cfg, { readKeys, ...(now ? { now } : {}) });
}

test('a good pair that covers its hosts passes and is described', () => {
  const r = check({ web: { hosts: ['a.test', 'www.a.test'], certFile: a.certFile, keyFile: a.keyFile } });
  assert.deepEqual(r.findings, []);
  assert.equal(r.certificates[0]!.summary.subject, 'CN=a.test');
  assert.deepEqual(r.certificates[0]!.summary.names, ['a.test', '*.a.test']);
});

test('a missing file, a mismatched pair, a host not covered and a file that is no certificate are errors naming the field', () => {
  const r = check({
    missing: { certFile: join(dir, 'nope.crt'), keyFile: join(dir, 'nope.key') },
    mismatched: { certFile: a.certFile, keyFile: b.keyFile },
    uncovered: { hosts: ['a.test', 'b.test', 'x.y.a.test'], certFile: a.certFile, keyFile: a.keyFile },
    swapped: { certFile: a.keyFile, keyFile: a.certFile },
  });
  const by = (path: string) => r.findings.filter((f) => f.path === path).map((f) => `${f.severity}: ${f.message}`);
  assert.deepEqual(by('services.missing.tls.certFile'), ['error: cannot read the certificate file: no such file']);
  assert.deepEqual(by('services.missing.tls.keyFile'), ['error: cannot read the key file: no such file']);
  assert.deepEqual(by('services.mismatched.tls.keyFile'), [`error: the key does not match the certificate in ${a.certFile}`]);
  assert.deepEqual(by('services.uncovered.tls.certFile'), [
    'error: the certificate does not cover host "b.test" (it is valid for a.test, *.a.test)',
    'error: the certificate does not cover host "x.y.a.test" (it is valid for a.test, *.a.test)',
  ]);
  assert.match(by('services.swapped.tls.certFile')[0]!, /no PEM certificate in the file/);
  assert.match(by('services.swapped.tls.keyFile')[0]!, /no usable PEM private key/);
  assert.ok(r.findings.every((f) => f.hint && f.value), 'every finding has a hint and the file');
  assert.doesNotMatch(JSON.stringify(r.findings), /PRIVATE KEY/);
});

test('expiring within 14 days is a warning; expired is an error', () => {
  const r = check({ web: { certFile: soon.certFile, keyFile: soon.keyFile } });
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0]!.severity, 'warning');
  assert.match(r.findings[0]!.message, /the certificate expires on .* \((2|3) days left\)/);
  const later = check({ web: { certFile: soon.certFile, keyFile: soon.keyFile } }, true, Date.now() + 5 * 86_400_000);
  assert.deepEqual(later.findings.map((f) => [f.severity, f.message.replace(/ on .*/, '')]), [['error', 'the certificate expired']]);
});

test('without reading keys (cutover up), a key file is only checked to be readable', () => {
  assert.deepEqual(check({ web: { certFile: a.certFile, keyFile: b.keyFile } }, false).findings, [], 'a mismatch is left to the proxy');
  const locked = makeCertificate(dir, 'locked');
  chmodSync(locked.keyFile, 0o000);
  const r = check({ web: { certFile: locked.certFile, keyFile: locked.keyFile } }, false);
  if (process.getuid?.() === 0) return; // root reads anything
  assert.deepEqual(r.findings.map((f) => f.message), ['cannot read the key file: permission denied']);
});
