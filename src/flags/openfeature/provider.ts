/**
 * The OpenFeature provider for Node (`cutover/openfeature`): evaluates flags
 * locally, with the same evaluator as the server, from a snapshot that the
 * control API pushes over server-sent events on every change. When the server
 * goes away the last snapshot keeps answering: the provider emits
 * PROVIDER_STALE (and answers with reason STALE) until it is back, then
 * PROVIDER_READY, and PROVIDER_CONFIGURATION_CHANGED with the flags that
 * changed meanwhile.
 *
 * Values: a boolean flag is the flag's enabled state; a string is the
 * variant's payload (its name when it has none); a number or an object is
 * the payload of a number or json variant. Anything else answers the default
 * with an error code.
 */
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import type { FlagContext } from '../context.ts';
import { FlagEvaluator, type Evaluation } from '../evaluator.ts';
import type { FeaturesDocument } from '../model.ts';
import { toUnleashContext } from '../openfeature-context.ts';
import { readEventStream } from './sse-client.ts';

export interface CutoverProviderOptions {
  /** The control API, e.g. http://127.0.0.1:7070. */
  url: string;
  /** The client token (`cutover flags token`). */
  token: string;
  /** Added under every evaluation context, as Unleash's SDKs add theirs. */
  appName?: string;
  environment?: string;
  /** A snapshot to answer from until the first one arrives (initialize() then resolves at once). */
  bootstrap?: FeaturesDocument;
  /** initialize() fails after this long without a snapshot (default 10 s); the provider keeps trying. */
  initTimeoutMs?: number;
  /** A stream silent this long is taken for dead (default: 3 heartbeats as the server announces them, else 45 s). */
  staleAfterMs?: number;
  /** Reconnect delays: from `min`, doubling up to `max` (default 100 ms … 5 s). */
  reconnect?: { minMs: number; maxMs: number };
}

/** A snapshot compiles on its first evaluation, so a change is announced without waiting for it. */
class Snapshot {
  private compiled: FlagEvaluator | undefined;
  /** Each flag's JSON, to name the flags a new snapshot changed. */
  readonly texts: Map<string, string>;
  readonly segmentsText: string;
  constructor(
    readonly revision: number,
    readonly document: FeaturesDocument,
  ) {
    this.texts = new Map(document.features.map((f) => [f.name, JSON.stringify(f)]));
    this.segmentsText = JSON.stringify(document.segments ?? []);
  }
  get evaluator(): FlagEvaluator {
    return (this.compiled ??= new FlagEvaluator(this.document));
  }
}

export class CutoverProvider implements Provider {
  readonly metadata = { name: 'cutover' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly hooks = [];

  private snapshot: Snapshot | undefined;
  private stale = false;
  private connected = false;
  private closed = false;
  private abort: AbortController | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private silenceMs: number;
  private readonly staticContext: FlagContext;
  private firstSnapshot: { resolve: () => void; promise: Promise<void> };

  constructor(private readonly opts: CutoverProviderOptions) {
    this.silenceMs = opts.staleAfterMs ?? 45_000;
    this.staticContext = { ...(opts.appName ? { appName: opts.appName } : {}), ...(opts.environment ? { environment: opts.environment } : {}) };
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstSnapshot = { resolve, promise };
    if (opts.bootstrap) this.adopt(-1, opts.bootstrap);
  }

  /** The revision of the snapshot in use (-1: the bootstrap), undefined before any. */
  get revision(): number | undefined {
    return this.snapshot?.revision;
  }

  /** True while the server cannot be reached (answers come from the last snapshot). */
  get isStale(): boolean {
    return this.stale;
  }

  async initialize(): Promise<void> {
    void this.run();
    if (this.snapshot) return;
    const ms = this.opts.initTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no flags from ${this.opts.url} within ${ms} ms; still trying`)), ms);
    });
    try {
      await Promise.race([this.firstSnapshot.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onClose(): Promise<void> {
    this.closed = true;
    clearTimeout(this.watchdog);
    this.abort?.abort();
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context, (e) => ({ value: e.enabled }));
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve<string>(flagKey, defaultValue, context, (e) => {
      if (e.variant.payload) return { value: e.variant.payload.value };
      return e.variant.enabled ? { value: e.variant.name } : undefined;
    });
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve<number>(flagKey, defaultValue, context, (e) => {
      const p = e.variant.payload;
      if (!p) return undefined;
      const n = Number(p.value);
      return p.type === 'number' && Number.isFinite(n) ? { value: n } : { error: `variant "${e.variant.name}" has a ${p.type} payload, not a number` };
    });
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.resolve<T>(flagKey, defaultValue, context, (e) => {
      const p = e.variant.payload;
      if (!p) return undefined;
      if (p.type !== 'json') return { error: `variant "${e.variant.name}" has a ${p.type} payload, not json` };
      try {
        return { value: JSON.parse(p.value) as T };
      } catch {
        return { error: `variant "${e.variant.name}" has a json payload that does not parse` };
      }
    });
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext, pick: (e: Evaluation) => { value: T } | { error: string } | undefined): ResolutionDetails<T> {
    const snap = this.snapshot;
    if (!snap) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.PROVIDER_NOT_READY, errorMessage: 'no flags received yet' };
    const e = snap.evaluator.evaluate(flagKey, { ...this.staticContext, ...toUnleashContext(context as Record<string, unknown>) });
    if (!e) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `flag "${flagKey}" does not exist` };
    const flagMetadata: Record<string, string | boolean | number> = { enabled: e.enabled, revision: snap.revision };
    if (e.variant.payload) flagMetadata.payloadType = e.variant.payload.type;
    const reason = this.stale ? StandardResolutionReasons.STALE : e.reason;
    const got = pick(e);
    if (!got) return { value: defaultValue, variant: e.variant.name, reason: e.enabled ? StandardResolutionReasons.DEFAULT : reason, flagMetadata };
    if ('error' in got) return { value: defaultValue, variant: e.variant.name, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH, errorMessage: got.error, flagMetadata };
    return { value: got.value, variant: e.variant.name, reason, flagMetadata };
  }

  /** Connects, follows, and reconnects with backoff until closed. */
  private async run(): Promise<void> {
    const { minMs, maxMs } = this.opts.reconnect ?? { minMs: 100, maxMs: 5000 };
    let delay = minMs;
    const url = new URL('/api/client/flags/stream', this.opts.url).href;
    while (!this.closed) {
      const abort = (this.abort = new AbortController());
      let why = 'the flag stream ended';
      try {
        await readEventStream(url, this.opts.token, abort.signal, {
          onOpen: () => {
            this.connected = true;
            this.kick();
          },
          onActivity: (comment) => {
            const m = comment && /^heartbeat (\d+)$/.exec(comment);
            if (m && this.opts.staleAfterMs === undefined) this.silenceMs = Number(m[1]) * 3;
            this.kick();
          },
          onEvent: (e) => {
            if (e.event !== 'flags') return;
            const body = JSON.parse(e.data) as FeaturesDocument & { revision: number };
            delay = minMs;
            this.adopt(body.revision, body);
          },
        });
      } catch (err) {
        why = (err as Error).message;
      }
      this.connected = false;
      clearTimeout(this.watchdog);
      if (this.closed) return;
      this.goStale(why);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(maxMs, delay * 2);
    }
  }

  /** Restarts the silence watchdog: a stream quiet for too long is dropped and reconnected. */
  private kick(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.abort?.abort(), this.silenceMs);
    this.watchdog.unref();
  }

  private goStale(message: string): void {
    if (this.stale || !this.snapshot) return;
    this.stale = true;
    this.events.emit(ProviderEvents.Stale, { message: `${message}; answering from the last flags received (revision ${this.snapshot.revision})` });
  }

  private adopt(revision: number, document: FeaturesDocument): void {
    const previous = this.snapshot;
    this.snapshot = new Snapshot(revision, document);
    const wasStale = this.stale;
    this.stale = false;
    if (!previous) {
      this.firstSnapshot.resolve();
      return;
    }
    if (wasStale) this.events.emit(ProviderEvents.Ready, { message: `connected again at revision ${revision}` });
    if (previous.revision !== revision) {
      const flagsChanged = changedFlags(previous, this.snapshot);
      if (flagsChanged.length) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged, metadata: { revision } });
    }
  }
}

function changedFlags(a: Snapshot, b: Snapshot): string[] {
  const segmentsMoved = a.segmentsText !== b.segmentsText;
  const names = new Set([...a.texts.keys(), ...b.texts.keys()]);
  return [...names].filter((n) => segmentsMoved || a.texts.get(n) !== b.texts.get(n)).sort();
}
