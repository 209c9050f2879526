/**
 * Self-signed certificates for HTTPS tests, made with the openssl command (P-256 keys: fast to make). Each is valid
 * for the names given (subjectAltName) and its own CA: pass `cert` as `ca` to a client to verify it for real.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

export function makeCertificate(dir: string, name: string, opts: { hosts?: string[]; days?: number } = {}): TestCertificate {
  const hosts = opts.hosts ?? [name];
  const san = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', String(opts.days ?? 30), '-subj', `/CN=${hosts[0]}`, '-addext', `subjectAltName=${san}`],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}
