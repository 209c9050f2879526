/**
 * What shadow comparison found for one service: counts by kind and the first differing samples, with secrets in
 * headers masked and bodies trimmed. Lives in the proxy (which sees both answers) and travels in its stats.
 */
import type { MirrorReport } from '../contract.ts';
import { SECRET_HEADER, type CapturedResponse, type DiffKind, type ResponseDiff } from './response-diff.ts';

/** Samples kept per service: the first ones, so a report shows when differences began. */
export const MAX_SAMPLES = 20;
const BODY_SHOWN = 400;

export class DiffStore {
  private readonly report: MirrorReport;

  constructor(revision: string) {
    this.report = { revision, mirrored: 0, dropped: 0, compared: 0, differing: 0, shadowErrors: 0, byKind: { status: 0, header: 0, body: 0 }, samples: [] };
  }

  mirrored(): void {
    this.report.mirrored++;
  }

  /** A copy that was not sent (the shadow is busy or has no ready instance): counted, never queued. */
  dropped(): void {
    this.report.dropped++;
  }

  /** The shadow failed to answer (connection error, timeout): nothing to compare. */
  shadowError(): void {
    this.report.shadowErrors++;
  }

  compared(request: string, stable: CapturedResponse, shadow: CapturedResponse, diff: ResponseDiff): void {
    const r = this.report;
    r.compared++;
    if (diff.kinds.length === 0) return;
    r.differing++;
    for (const k of diff.kinds) r.byKind[k as DiffKind]++;
    if (r.samples.length < MAX_SAMPLES) {
      r.samples.push({ at: Date.now(), request, kinds: diff.kinds, detail: diff.detail.slice(0, 10), stable: shown(stable), shadow: shown(shadow) });
    }
  }

  snapshot(): MirrorReport {
    return structuredClone(this.report);
  }
}

function shown(r: CapturedResponse): MirrorReport['samples'][number]['stable'] {
  const text = r.body.subarray(0, BODY_SHOWN).toString('utf8');
  return {
    status: r.status,
    headers: r.headers.map(([n, v]) => [n, SECRET_HEADER.test(n) ? '***' : v] as [string, string]),
    body: r.body.length > BODY_SHOWN || r.truncated ? `${text}…` : text,
  };
}
