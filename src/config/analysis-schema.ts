/**
 * The analysis part of cutover.yaml, in Argo Rollouts' vocabulary: templates
 * of metrics (`services.<s>.analysis.templates.<name>.metrics[]`), each with a
 * provider and conditions over `result`, and the references to them that say
 * where analysis runs (canary steps and background, blue-green pre/post
 * promotion, rolling background). Conditions are compiled here, so a bad
 * expression is a config error naming the metric.
 */
import { z } from 'zod';
import { duration } from '../shared/duration.ts';
import { compileExpression, ExpressionError } from '../shared/expression.ts';

const metricName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, dots, dashes and underscores');
const keyValue = z.object({ key: z.string().min(1), value: z.string() }).strict();

export const BUILTIN_METRICS = ['successRate', 'errorRate', 'requestRate', 'latencyP50Ms', 'latencyP95Ms', 'latencyP99Ms'] as const;

const builtinMetricSchema = z
  .object({
    metric: z.enum(BUILTIN_METRICS).describe('Figure of the revision over the proxy window (10 s): shares 0..1, requests per second, latency in ms'),
    revision: z.enum(['canary', 'stable']).default('canary').describe('Which revision to measure; canary is the one being rolled out'),
    minRequests: z.number().int().min(0).default(20).describe('Fewer requests than this in the window make the measurement Inconclusive'),
  })
  .strict();

const builtinCompareSchema = z
  .object({
    compare: z.literal('stable').describe('Comparative judge: canary against stable over the same window'),
    confidence: z.number().gt(0.5).lt(1).default(0.98).describe('Significance needed to call the canary worse (1 - p-value)'),
    tolerance: z.number().min(0).default(0.25).describe('How much worse (relative) the canary may be before it matters: 0.25 = 25 %'),
    minRequests: z.number().int().min(1).default(20).describe('Requests each revision needs in the window; fewer is Inconclusive'),
    minLatencyDeltaMs: z.number().min(0).default(5).describe('A median latency difference below this many ms never fails'),
  })
  .strict();

export const prometheusProviderSchema = z
  .object({
    address: z.url().describe('Prometheus base URL, e.g. http://127.0.0.1:9090'),
    query: z.string().min(1).describe('PromQL instant query; {{args.x}}, {{revision.version}}, {{revision.number}}, {{service}} are replaced'),
    timeout: duration.default(10_000),
    headers: z.array(keyValue).default([]),
  })
  .strict();

export const webProviderSchema = z
  .object({
    url: z.string().min(1),
    method: z.enum(['GET', 'POST', 'PUT']).default('GET'),
    headers: z.array(keyValue).default([]),
    body: z.string().optional(),
    jsonBody: z.unknown().optional().describe('Sent as JSON (sets content-type)'),
    timeoutSeconds: z.number().gt(0).default(10),
    jsonPath: z.string().optional().describe('Where the value is in the JSON answer, e.g. "{$.data.ok}"; without it the whole body'),
  })
  .strict();

export const commandProviderSchema = z
  .object({
    run: z.string().min(1).describe('Shell command (sh -c); exit 0 succeeds; a number on the last line of stdout becomes `result`'),
    timeout: duration.default(30_000),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const providerSchema = z
  .object({
    builtin: z.union([builtinCompareSchema, builtinMetricSchema]).optional(),
    prometheus: prometheusProviderSchema.optional(),
    web: webProviderSchema.optional(),
    command: commandProviderSchema.optional(),
  })
  .strict()
  .refine((p) => Object.values(p).filter((v) => v !== undefined).length === 1, 'set exactly one provider: builtin, prometheus, web or command');

export const metricSchema = z
  .object({
    name: metricName,
    interval: duration.optional().describe('Time between measurements; without it the metric is measured once'),
    count: z.number().int().min(1).optional().describe('Measurements to take; without it (and with an interval) until the analysis ends'),
    initialDelay: duration.default(0).describe('Wait this long before the first measurement'),
    successCondition: z.string().optional().describe('Expression over `result`, e.g. "result >= 0.99"'),
    failureCondition: z.string().optional().describe('Expression over `result`, e.g. "result[0] > 0.3"'),
    failureLimit: z.number().int().min(0).default(0).describe('Failed measurements tolerated; one more fails the analysis'),
    inconclusiveLimit: z.number().int().min(0).default(0).describe('Inconclusive measurements tolerated; one more pauses the rollout'),
    consecutiveErrorLimit: z.number().int().min(0).default(4).describe('Errors in a row tolerated; one more ends the analysis as Error'),
    provider: providerSchema,
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const src = m[field];
      if (src === undefined) continue;
      try {
        compileExpression(src);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        ctx.addIssue({ code: 'custom', path: [field], input: src, message: `metric "${m.name}": ${err.message}; conditions use result, numbers, strings, comparisons, && || !, + - * /, result[0] and len(result)` });
      }
    }
    if (m.provider.builtin && 'compare' in m.provider.builtin && (m.successCondition || m.failureCondition)) {
      ctx.addIssue({ code: 'custom', path: ['successCondition'], message: `metric "${m.name}": the comparative judge decides by itself; remove the conditions` });
    }
  });

export const templateSchema = z
  .object({
    args: z.array(z.object({ name: metricName, value: z.string().optional() }).strict()).default([]),
    metrics: z.array(metricSchema).min(1, 'a template needs at least one metric'),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.metrics.forEach((m, i) => {
      if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `metric "${m.name}" appears twice` });
      seen.add(m.name);
    });
  });

/** Where a rollout uses templates: `{ templates: [a, { templateName: b }], args: [{ name, value }] }`. */
export const analysisRefSchema = z
  .object({
    templates: z
      .array(z.union([z.string().min(1), z.object({ templateName: z.string().min(1) }).strict()]).transform((t) => (typeof t === 'string' ? t : t.templateName)))
      .min(1),
    args: z.array(z.object({ name: metricName, value: z.string() }).strict()).default([]),
  })
  .strict();

export const backgroundAnalysisSchema = analysisRefSchema
  .extend({ startingStep: z.number().int().min(0).default(0).describe('Canary step index from which the background analysis runs') })
  .strict();

/** The form before templates: one builtin check of the canary; kept as sugar for a builtin template. */
export const legacyAnalysisSchema = z
  .object({
    interval: duration.default(5000).describe('How often the canary is measured'),
    maxErrorRate: z.number().min(0).max(1).optional().describe('Fail when the canary 5xx+error share exceeds this (0..1)'),
    maxP99Ms: z.number().min(0).optional().describe('Fail when the canary p99 latency exceeds this many ms'),
    minRequests: z.number().int().min(0).default(20).describe('Fewer requests than this in the window is inconclusive'),
    failureLimit: z.number().int().min(0).default(0).describe('Failed measurements tolerated before abort'),
  })
  .strict();

export const serviceAnalysisSchema = z
  .object({ templates: z.record(metricName, templateSchema).default({}) })
  .strict();

export type MetricConfig = z.output<typeof metricSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type TemplateConfig = z.output<typeof templateSchema>;
export type AnalysisRef = z.output<typeof analysisRefSchema>;
export type BackgroundAnalysis = z.output<typeof backgroundAnalysisSchema>;
export type LegacyAnalysis = z.output<typeof legacyAnalysisSchema>;
export type BuiltinMetric = z.output<typeof builtinMetricSchema>;
export type BuiltinCompare = z.output<typeof builtinCompareSchema>;

/** Every analysis reference of a strategy block with its config path, for the check that each template exists. */
export function analysisRefs(strategy: {
  canary?: { analysis?: unknown; steps: unknown[] } | undefined;
  blueGreen?: { prePromotionAnalysis?: AnalysisRef | undefined; postPromotionAnalysis?: AnalysisRef | undefined } | undefined;
  rolling?: { analysis?: AnalysisRef | undefined } | undefined;
  shadow?: { analysis?: AnalysisRef | undefined } | undefined;
  experiment?: { analysis?: AnalysisRef | undefined } | undefined;
}): { path: (string | number)[]; ref: AnalysisRef }[] {
  const out: { path: (string | number)[]; ref: AnalysisRef }[] = [];
  const c = strategy.canary;
  if (c?.analysis && typeof c.analysis === 'object' && 'templates' in c.analysis) out.push({ path: ['canary', 'analysis'], ref: c.analysis as AnalysisRef });
  c?.steps.forEach((s, i) => {
    if (s && typeof s === 'object' && 'analysis' in s) out.push({ path: ['canary', 'steps', i, 'analysis'], ref: (s as { analysis: AnalysisRef }).analysis });
  });
  const bg = strategy.blueGreen;
  if (bg?.prePromotionAnalysis) out.push({ path: ['blueGreen', 'prePromotionAnalysis'], ref: bg.prePromotionAnalysis });
  if (bg?.postPromotionAnalysis) out.push({ path: ['blueGreen', 'postPromotionAnalysis'], ref: bg.postPromotionAnalysis });
  if (strategy.rolling?.analysis) out.push({ path: ['rolling', 'analysis'], ref: strategy.rolling.analysis });
  if (strategy.shadow?.analysis) out.push({ path: ['shadow', 'analysis'], ref: strategy.shadow.analysis });
  if (strategy.experiment?.analysis) out.push({ path: ['experiment', 'analysis'], ref: strategy.experiment.analysis });
  return out;
}

/** Config issues of references: unknown templates, template args without a value. */
export function checkAnalysisRefs(templates: Record<string, TemplateConfig>, refs: { path: (string | number)[]; ref: AnalysisRef }[]): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const { path, ref } of refs) {
    for (const name of ref.templates) {
      const t = templates[name];
      if (!t) {
        const known = Object.keys(templates);
        issues.push({ path: [...path, 'templates'], message: `no analysis template "${name}"; ${known.length ? `known: ${known.join(', ')}` : 'define it under analysis.templates'}` });
        continue;
      }
      for (const a of t.args) {
        if (a.value === undefined && !ref.args.some((x) => x.name === a.name)) {
          issues.push({ path: [...path, 'args'], message: `template "${name}" needs arg "${a.name}"; add { name: ${a.name}, value: ... }` });
        }
      }
    }
  }
  return issues;
}
