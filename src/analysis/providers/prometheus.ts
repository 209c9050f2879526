/**
 * The prometheus provider: one PromQL instant query (`GET /api/v1/query`).
 * A vector result becomes a list of sample values (`result[0]`), a scalar a
 * number; a query Prometheus rejects, a timeout or an unreachable server is an
 * Error measurement (thrown), never a failure.
 */
import { request } from 'undici';
import type { z } from 'zod';
import type { prometheusProviderSchema } from '../../config/analysis-schema.ts';
import type { MeasureContext, MetricProvider, ProviderResult } from './provider.ts';

type PrometheusConfig = z.output<typeof prometheusProviderSchema>;

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

export class PrometheusProvider implements MetricProvider {
  constructor(private readonly cfg: PrometheusConfig) {}

  async measure(ctx: MeasureContext): Promise<ProviderResult> {
    const url = new URL('api/v1/query', this.cfg.address.endsWith('/') ? this.cfg.address : `${this.cfg.address}/`);
    url.searchParams.set('query', this.cfg.query);
    const headers = Object.fromEntries(this.cfg.headers.map((h) => [h.key, h.value]));
    const res = await request(url, { headers, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(this.cfg.timeout)]) });
    const text = await res.body.text();
    let answer: QueryAnswer;
    try {
      answer = JSON.parse(text) as QueryAnswer;
    } catch {
      throw new Error(`Prometheus answered ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (answer.status !== 'success' || !answer.data) throw new Error(`query failed (${res.statusCode} ${answer.errorType ?? ''}): ${answer.error ?? text.slice(0, 200)}`);
    return { value: resultValue(answer.data), message: `query: ${this.cfg.query}` };
  }
}

/** The `result` conditions see: a list of numbers for a vector, a number for a scalar. */
export function resultValue(data: NonNullable<QueryAnswer['data']>): unknown {
  if (data.resultType === 'scalar') return sampleValue(data.result as [number, string]);
  if (data.resultType === 'vector') return (data.result as { value: [number, string] }[]).map((r) => sampleValue(r.value));
  if (data.resultType === 'string') return (data.result as [number, string])[1];
  throw new Error(`a ${data.resultType} result cannot be judged; use an instant query (no [range] at the end)`);
}

function sampleValue(v: [number, string]): number {
  return Number(v[1]);
}
