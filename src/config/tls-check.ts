/**
 * The checks of the certificate and key files cutover.yaml names, before
 * anything is served: `cutover validate` (everything, keys included) and
 * `cutover up` (everything it can without reading a key: only the proxy
 * process reads keys). The schema checked the shape; this checks the files.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import type { ConfigIssue } from '../errors.ts';
import {
  CertificatePairError,
  covers,
  daysLeft,
  EXPIRY_WARNING_DAYS,
  fileErrorText,
  parseCertificate,
  parsePrivateKey,
  summarize,
  type CertificateSummary,
} from '../shared/certificate.ts';
import type { CutoverConfig } from './schema.ts';

export interface TlsFinding extends ConfigIssue {
  /** An error makes the config unusable (validate exits 2, up refuses to start); a warning is printed and that is all. */
  severity: 'error' | 'warning';
}

export interface CheckedCertificate {
  service: string;
  certFile: string;
  summary: CertificateSummary;
}

export interface TlsCheckOptions {
  /** Read and parse the key files and check each matches its certificate (validate). Without it they are only checked to be readable. */
  readKeys: boolean;
  now?: number;
}

export function checkTlsFiles(config: CutoverConfig, opts: TlsCheckOptions): { findings: TlsFinding[]; certificates: CheckedCertificate[] } {
  const now = opts.now ?? Date.now();
  const findings: TlsFinding[] = [];
  const certificates: CheckedCertificate[] = [];
  const files = new Map<string, Buffer | NodeJS.ErrnoException>();
  const read = (file: string): Buffer | NodeJS.ErrnoException => {
    if (!files.has(file)) {
      try {
        files.set(file, readFileSync(file));
      } catch (err) {
        files.set(file, err as NodeJS.ErrnoException);
      }
    }
    return files.get(file)!;
  };
  for (const [name, svc] of Object.entries(config.services)) {
    const tls = svc.tls;
    if (!tls) continue;
    const at = (field: string): string => `services.${name}.tls.${field}`;
    const error = (field: string, message: string, hint: string, value: string): void => void findings.push({ severity: 'error', path: at(field), message, hint, value });

    const certPem = read(tls.certFile);
    let cert: X509Certificate | undefined;
    if (certPem instanceof Error) error('certFile', `cannot read the certificate file: ${fileErrorText(certPem)}`, 'check the path; a relative one starts at the config file\'s directory', tls.certFile);
    else {
      try {
        cert = parseCertificate(certPem, tls.certFile);
      } catch (err) {
        if (!(err instanceof CertificatePairError)) throw err;
        error('certFile', err.reason, 'point certFile at a PEM certificate (leaf first, then its chain)', tls.certFile);
      }
    }

    if (opts.readKeys) {
      const keyPem = read(tls.keyFile);
      if (keyPem instanceof Error) {
        error('keyFile', `cannot read the key file: ${fileErrorText(keyPem)}`, 'check the path and that the user running Cutover may read it', tls.keyFile);
      } else {
        try {
          const key = parsePrivateKey(keyPem, tls.keyFile);
          if (cert && !cert.checkPrivateKey(key)) {
            error('keyFile', `the key does not match the certificate in ${tls.certFile}`, 'use the key the certificate was issued for (a renewal replaced one file but not the other?)', tls.keyFile);
          }
        } catch (err) {
          if (!(err instanceof CertificatePairError)) throw err;
            error('keyFile', err.reason, 'point keyFile at the PEM private key of the certificate', tls.keyFile);
        }
      }
    } else {
      try {
        accessSync(tls.keyFile, constants.R_OK);
      } catch (err) {
        error('keyFile', `cannot read the key file: ${fileErrorText(err)}`, 'check the path and that the user running Cutover may read it', tls.keyFile);
      }
    }
    if (!cert) continue;

    const summary = summarize(cert);
    certificates.push({ service: name, certFile: tls.certFile, summary });
    for (const host of svc.hosts ?? []) {
      if (!covers(cert, host)) {
        error('certFile', `the certificate does not cover host "${host}" (it is valid for ${summary.names.join(', ') || 'no name'})`, `use a certificate that lists ${host}, or remove it from services.${name}.hosts`, tls.certFile);
      }
    }
    const days = daysLeft(summary.notAfter, now);
    if (days < 0) error('certFile', `the certificate expired on ${summary.notAfter}`, 'renew it; the proxy picks up the new files without a restart', tls.certFile);
    else if (days < EXPIRY_WARNING_DAYS) {
      findings.push({ severity: 'warning', path: at('certFile'), message: `the certificate expires on ${summary.notAfter} (${days} days left)`, hint: 'renew it; the proxy picks up the new files without a restart', value: tls.certFile });
    }
    if (new Date(summary.notBefore).getTime() > now) {
      findings.push({ severity: 'warning', path: at('certFile'), message: `the certificate is not valid before ${summary.notBefore}`, hint: 'check the clock of this machine, or wait', value: tls.certFile });
    }
  }
  return { findings, certificates };
}
