/** Classifies undici / socket errors for retry and ejection decisions. */

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const RESET_BEFORE_RESPONSE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

function codeOf(err: Error): string {
  return String((err as NodeJS.ErrnoException).code ?? '');
}

/** The instance could not be reached at all: nothing was sent, so any request may go elsewhere. */
export function isConnectFailure(err: Error): boolean {
  return CONNECT_FAILURES.has(codeOf(err));
}

/** Failures that, when no response byte arrived yet, are safe to retry for a replayable request. */
export function isRetryableBeforeResponse(err: Error): boolean {
  const code = codeOf(err);
  return CONNECT_FAILURES.has(code) || RESET_BEFORE_RESPONSE.has(code);
}

export function isResponseTimeout(err: Error): boolean {
  return codeOf(err) === 'UND_ERR_HEADERS_TIMEOUT';
}
