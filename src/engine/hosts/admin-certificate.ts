/**
 * The certificate a host's proxy serves its admin API with: the API crosses the network (unlike the one proxy of
 * `cutover up` on one machine, on loopback), so the token must not travel in clear text. Cutover makes one per host,
 * self-signed for the host's address, keeps it in the state dir (0600) and pins it: the admin client trusts that
 * certificate and no other, so no CA is involved and nobody else's certificate is accepted.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeFileAtomicSync } from '../../shared/atomic-file.ts';

export interface AdminCertificate {
  cert: string;
  key: string;
}

const YEARS = 10;

export async function ensureAdminCertificate(stateDir: string, host: { name: string; address: string }): Promise<AdminCertificate> {
  const dir = join(stateDir, 'hosts', host.name.replace(/[^a-zA-Z0-9.-]/g, '_'));
  const certFile = join(dir, 'admin-cert.pem');
  const keyFile = join(dir, 'admin-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + YEARS);
  const altName = isIP(host.address) ? { type: 7 as const, ip: host.address } : { type: 2 as const, value: host.address };
  const pems = await generate([{ name: 'commonName', value: `cutover proxy ${host.name}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true }, { name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [altName] }],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(keyFile, pems.private, 0o600);
  writeFileAtomicSync(certFile, pems.cert, 0o600);
  return { cert: pems.cert, key: pems.private };
}
