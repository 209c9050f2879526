/**
 * One measurement of one metric: the provider's result judged by the metric's
 * conditions (unless the provider decided), as the record kept in the state.
 * A provider that throws, or a condition that cannot be evaluated on the
 * result, gives an Error measurement.
 */
import type { MetricConfig } from '../config/analysis-schema.ts';
import type { MeasurementRecord } from '../store/records.ts';
import { judgeResult } from './conditions.ts';
import { providerFor, type MeasureContext } from './providers/index.ts';
import { substitute } from './templates.ts';

/** Longest value or message kept in a measurement. */
const MAX_TEXT = 500;

export async function measureMetric(metric: MetricConfig, ctx: MeasureContext, args: Record<string, string>, now: number): Promise<MeasurementRecord> {
  let value: unknown = null;
  try {
    const provider = providerFor(substitute(metric.provider, { service: ctx.service, revision: ctx.revision, args }));
    const r = await provider.measure(ctx);
    value = r.value;
    const decided = r.verdict ? { phase: r.verdict, message: r.message ?? '' } : judgeResult(r.value, metric);
    const message = r.verdict || !r.message ? decided.message : `${decided.message}; ${r.message}`;
    return { phase: decided.phase, at: now, value: show(r.value), message: clip(message), ...(r.stats ? { stats: r.stats } : {}) };
  } catch (err) {
    return { phase: 'Error', at: now, value: show(value), message: clip(err instanceof Error ? err.message : String(err)) };
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return clip(typeof v === 'string' ? v : JSON.stringify(v));
}

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 3)}...` : s;
}
