/**
 * The web provider: one HTTP request (GET, POST or PUT) with headers, body and
 * a timeout; `result` is the value at `jsonPath` in the JSON answer (Argo's
 * `{$.data.ok}` form, or `$.data.ok`), else the parsed body. A non-2xx answer,
 * a timeout or a path that is not there is an Error measurement (thrown).
 */
import { request } from 'undici';
import type { z } from 'zod';
import type { webProviderSchema } from '../../config/analysis-schema.ts';
import type { MeasureContext, MetricProvider, ProviderResult } from './provider.ts';

type WebConfig = z.output<typeof webProviderSchema>;

export class WebProvider implements MetricProvider {
  constructor(private readonly cfg: WebConfig) {}

  async measure(ctx: MeasureContext): Promise<ProviderResult> {
    const headers: Record<string, string> = Object.fromEntries(this.cfg.headers.map((h) => [h.key.toLowerCase(), h.value]));
    let body = this.cfg.body;
    if (this.cfg.jsonBody !== undefined) {
      body = JSON.stringify(this.cfg.jsonBody);
      headers['content-type'] ??= 'application/json';
    }
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(this.cfg.timeoutSeconds * 1000)]);
    const res = await request(this.cfg.url, { method: this.cfg.method, headers, ...(body !== undefined ? { body } : {}), signal });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`${this.cfg.method} ${this.cfg.url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (this.cfg.jsonPath !== undefined) throw new Error(`the answer is not JSON, so jsonPath ${this.cfg.jsonPath} cannot apply: ${text.slice(0, 200)}`);
    }
    return { value: this.cfg.jsonPath === undefined ? parsed : jsonPath(parsed, this.cfg.jsonPath) };
  }
}

/**
 * The value at a simple JSONPath: `$`, `.field`, `['field']`, `[index]`.
 *
 * @example jsonPath({ data: { ok: [true] } }, '{$.data.ok[0]}') // true
 */
export function jsonPath(doc: unknown, path: string): unknown {
  const p = path.trim().replace(/^\{(.*)\}$/s, '$1').trim();
  if (!p.startsWith('$')) throw new Error(`jsonPath ${path} must start with $ (e.g. {$.data.value})`);
  let cur: unknown = doc;
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < p.length) {
    const start = re.lastIndex;
    const m = re.exec(p);
    if (!m) throw new Error(`jsonPath ${path}: cannot read "${p.slice(start)}"; use .field, [0] or ['field']`);
    const key = m[1] ?? m[3] ?? Number(m[2]);
    if (cur === null || typeof cur !== 'object' || !(key in (cur as object))) throw new Error(`jsonPath ${path}: nothing at ${p.slice(0, re.lastIndex)}`);
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
