/**
 * One mirrored request with comparison: it captures the user's answer (fed by the exchange as it relays it) and is
 * the response handler of the copy sent to the shadow. When both are in, their diff goes to the session's store.
 * The shadow's answer is only read and dropped: it never reaches the user and never slows the user's answer.
 */
import type { ResponseHead } from '../http1/response-head.ts';
import type { Framing, RequestControl, ResponseHandler } from '../http1/upstream-connection.ts';
import type { UpstreamError } from '../http1/upstream-error.ts';
import type { CompiledRevision } from '../route-table.ts';
import { bucketOf, ERROR_CLASS, statusClass } from '../traffic-window.ts';
import { ResponseCapture } from './response-capture.ts';
import type { MirrorSession } from './mirror-session.ts';
import { diffResponses } from './response-diff.ts';

type Side = 'pending' | 'done' | 'failed';

export class MirrorTap implements ResponseHandler {
  private readonly primary: ResponseCapture;
  private readonly copy: ResponseCapture;
  private primarySide: Side = 'pending';
  private copySide: Side = 'pending';
  private copyStatus = 0;
  private readonly started = performance.now();

  constructor(
    private readonly session: MirrorSession,
    private readonly request: string,
    /** The shadow revision: its window records the copies (latency, errors), so stats show it beside stable. */
    private readonly shadow: CompiledRevision,
  ) {
    this.primary = new ResponseCapture(session.maxBodyBytes);
    this.copy = new ResponseCapture(session.maxBodyBytes);
    shadow.window.inflight++;
  }

  // ---- the user's answer, fed by the exchange ----

  primaryHead(head: ResponseHead, framing: Framing): void {
    this.primary.head(head, framing);
  }

  primaryData(chunk: Buffer): void {
    this.primary.data(chunk);
  }

  primaryDone(): void {
    this.primarySide = 'done';
    this.settle();
  }

  /** The user's request failed or was cut: there is nothing to compare the copy with. */
  primaryFailed(): void {
    this.primarySide = 'failed';
    this.settle();
  }

  // ---- the copy's answer (ResponseHandler) ----

  onConnect(_ctl: RequestControl): void {}

  onHeaders(head: ResponseHead, framing: Framing): void {
    this.copyStatus = head.status;
    this.copy.head(head, framing);
  }

  onData(chunk: Buffer): boolean {
    this.copy.data(chunk);
    return true;
  }

  onFlush(): void {}

  /** Captures copy what they keep, so the connection may reuse its read buffer at once. */
  retainsData(): boolean {
    return false;
  }

  onComplete(): void {
    this.copyEnded(statusClass(this.copyStatus), 'done');
  }

  onError(_err: UpstreamError): void {
    this.session.store.shadowError();
    this.copyEnded(ERROR_CLASS, 'failed');
  }

  private copyEnded(cls: ReturnType<typeof statusClass>, side: Side): void {
    if (this.copySide !== 'pending') return;
    this.copySide = side;
    this.session.inFlight--;
    const ms = performance.now() - this.started;
    this.shadow.window.inflight--;
    this.shadow.window.record(cls, ms, Date.now(), bucketOf(ms));
    this.settle();
  }

  private settle(): void {
    if (this.primarySide !== 'done' || this.copySide !== 'done') return;
    const stable = this.primary.result();
    const shadow = this.copy.result();
    this.session.store.compared(this.request, stable, shadow, diffResponses(stable, shadow, this.session.rules));
  }
}
