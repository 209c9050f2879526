import { CutoverError } from '../errors.ts';

/** The proxy's admin endpoint could not be reached (not running, wrong URL, connection refused). */
export class ProxyUnreachableError extends CutoverError {
  constructor(url: string, cause: unknown) {
    super('PROXY_UNREACHABLE', `cannot reach the proxy admin API at ${url}`, {
      status: 502,
      hint: 'check that the proxy process is running and that its state file points at the right port',
      fields: { url },
      cause,
    });
  }
}

/** The proxy answered an admin call with an error (bad routes, unknown instance, wrong token). */
export class ProxyRejectedError extends CutoverError {
  constructor(what: string, status: number, body: { code?: string; message?: string; hint?: string; issues?: unknown }) {
    super('PROXY_REJECTED', `proxy rejected ${what}: ${body.message ?? `HTTP ${status}`}`, {
      status,
      hint: body.hint ?? 'see the message; the proxy kept its previous state',
      fields: { remoteCode: body.code, issues: body.issues },
    });
  }
}

/** A listener could not bind its port (in use, no permission). Nothing was changed. */
export class ListenFailedError extends CutoverError {
  constructor(host: string, port: number, cause: unknown) {
    super('PROXY_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      status: 409,
      hint: 'pick a free port or stop whatever holds it; the proxy kept its previous listeners',
      fields: { host, port },
      cause,
    });
  }
}

/** A listener's certificate or key cannot be used (missing, unreadable, not PEM, or not a pair). Nothing was changed. */
export class TlsCertificateError extends CutoverError {
  constructor(listener: string, files: { certFile: string; keyFile: string }, reason: string) {
    super('PROXY_TLS_INVALID', `listener ${listener}: cannot serve ${files.certFile} with ${files.keyFile}: ${reason}`, {
      status: 400,
      hint: 'fix or replace the files (`cutover validate` checks them); the proxy kept its previous listeners and certificates',
      fields: { listener, certFile: files.certFile, keyFile: files.keyFile },
    });
  }
}
