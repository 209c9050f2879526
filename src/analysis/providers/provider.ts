/**
 * The one narrow interface every metric source implements: take one
 * measurement now. A provider returns the `result` conditions are evaluated
 * on, or decides the verdict itself (a window too small is Inconclusive; the
 * comparative judge decides on its statistics). Throwing means the
 * measurement could not be taken: an Error measurement, never a failure.
 */
import type { ServiceStats } from '../../proxy/contract.ts';
import type { Verdict } from '../../store/records.ts';

export interface RevisionRef {
  number: number;
  version: string;
}

export interface MeasureContext {
  service: string;
  /** The revision under analysis (the canary, the preview set, the new set). */
  revision: RevisionRef;
  /** The revision it is compared with (the stable one), if any. */
  baseline: RevisionRef | null;
  /**
   * Names the service's traffic is reported under in the stats: the service, and its blue-green preview listener
   * (`previewPort`), whose requests reach only the preview set.
   */
  statsNames: string[];
  /** The proxy's per-revision figures over its window, read once per round of measurements. */
  stats(): Promise<ServiceStats[]>;
  /** Aborted when the controller stops. */
  signal: AbortSignal;
}

export interface ProviderResult {
  /** What conditions see as `result`. */
  value: unknown;
  /** Set when the provider decides by itself; conditions are then not evaluated. */
  verdict?: Verdict;
  /** Why, when the provider decided, or extra context (a command's output). */
  message?: string;
  /** Figures behind the value, kept with the measurement. */
  stats?: Record<string, number>;
}

export interface MetricProvider {
  measure(ctx: MeasureContext): Promise<ProviderResult>;
}
