/**
 * PEM certificate and key pairs, checked the way a person can act on: the
 * proxy (when it loads or reloads a pair) and `cutover validate` (before
 * anything runs) use the same checks and the same words. Nothing here ever
 * puts key material into a message: errors name the problem, not the bytes.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

/** Days before expiry from which a certificate is reported as expiring soon. */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** What a certificate says about itself; public, safe to log and to return from an API. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses it is valid for (subjectAltName; the subject CN when there is none). */
  names: string[];
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

/** A pair that cannot be used, with the reason in plain words. */
export class CertificatePairError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Parses the first (leaf) certificate of a PEM file; throws CertificatePairError naming the file. */
export function parseCertificate(pem: Buffer, file: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CertificatePairError(file, 'no PEM certificate in the file (expected "-----BEGIN CERTIFICATE-----")');
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new CertificatePairError(file, `the certificate does not parse (${opensslReason(err)})`);
  }
}

/** Parses a private key; an encrypted key is refused (the proxy has no passphrase to open it with). */
export function parsePrivateKey(pem: Buffer, file: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem.toString('latin1'))) {
    throw new CertificatePairError(file, 'the key is encrypted with a passphrase; give the proxy an unencrypted key (e.g. `openssl pkey -in <file> -out <new file>`)');
  }
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new CertificatePairError(file, `no usable PEM private key in the file (${opensslReason(err)})`);
  }
}

/** Both halves parse and belong together; returns the certificate. */
export function checkPair(certPem: Buffer, keyPem: Buffer, files: { certFile: string; keyFile: string }): X509Certificate {
  const cert = parseCertificate(certPem, files.certFile);
  const key = parsePrivateKey(keyPem, files.keyFile);
  if (!cert.checkPrivateKey(key)) {
    throw new CertificatePairError(files.keyFile, `the key does not match the certificate in ${files.certFile} (a renewal that replaced one file but not the other?)`);
  }
  return cert;
}

export function summarize(cert: X509Certificate): CertificateSummary {
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    names: certificateNames(cert),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}

/** DNS names and IPs from subjectAltName, lower case; the CN only when there is no subjectAltName (as clients do). */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(/,\s*/)
      .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.trim().toLowerCase())
      .filter((n): n is string => !!n);
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** The certificate is valid for `host` (wildcards and IP addresses as browsers check them). */
export function covers(cert: X509Certificate, host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')) return cert.checkIP(host.replace(/^\[|\]$/g, '')) !== undefined;
  return cert.checkHost(host) !== undefined;
}

/** Whole days from `now` to the end of validity (negative once expired). */
export function daysLeft(notAfter: string | Date, now = Date.now()): number {
  return Math.floor((new Date(notAfter).getTime() - now) / DAY_MS);
}

/** "CN=a\nO=b" as "CN=a, O=b". */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** Why a file could not be read, in words ("no such file") rather than an errno name. */
export function fileErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a directory';
  return e.code ?? e.message ?? String(err);
}

/** OpenSSL's reason without its numeric prefix ("error:0480006C:PEM routines::no start line" → "no start line"). */
export function opensslReason(err: unknown): string {
  const msg = (err as Error).message ?? String(err);
  return msg.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '').trim() || msg;
}
