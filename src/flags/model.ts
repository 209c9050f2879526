/**
 * The flag model: Unleash's client-API shapes (a feature, its strategies,
 * constraints, variants and dependencies; segments; the features document),
 * as zod schemas that validate what is written and the TypeScript types the
 * evaluator reads. A definition that passes is exactly what Unleash's SDKs
 * expect from `GET /api/client/features`: numbers in strategy parameters become
 * strings, a flexibleRollout gets its flag's name as groupId, variant weights
 * left out are spread over 1000 the way Unleash's server does.
 */
import { z } from 'zod';
import { RE2JS } from 're2js';
import semver from 'semver';
import { FlagInvalidError } from './errors.ts';

export const OPERATORS = [
  'IN', 'NOT_IN',
  'STR_STARTS_WITH', 'STR_ENDS_WITH', 'STR_CONTAINS',
  'NUM_EQ', 'NUM_GT', 'NUM_GTE', 'NUM_LT', 'NUM_LTE',
  'DATE_AFTER', 'DATE_BEFORE',
  'SEMVER_EQ', 'SEMVER_GT', 'SEMVER_GTE', 'SEMVER_LT', 'SEMVER_LTE',
  'REGEX', 'IN_CIDR',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Operators that compare against `values` (a list); the rest use `value`. */
export const LIST_OPERATORS: ReadonlySet<string> = new Set(['IN', 'NOT_IN', 'STR_STARTS_WITH', 'STR_ENDS_WITH', 'STR_CONTAINS', 'IN_CIDR']);

/** The built-in strategies; any other name is a custom strategy, which evaluates to false here as in Unleash's SDKs without it. */
export const BUILTIN_STRATEGIES = ['default', 'userWithId', 'flexibleRollout', 'gradualRolloutUserId', 'gradualRolloutSessionId', 'gradualRolloutRandom', 'remoteAddress', 'applicationHostname'] as const;

export const PAYLOAD_TYPES = ['string', 'json', 'csv', 'number'] as const;

// ---- wire types (what the evaluator reads; also what Unleash's SDKs read) ----

export interface Constraint {
  contextName: string;
  operator: Operator | string;
  values?: string[];
  value?: string;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

export interface Payload {
  type: string;
  value: string;
}

export interface Override {
  contextName: string;
  values: string[];
}

export interface VariantDefinition {
  name: string;
  weight: number;
  weightType?: 'variable' | 'fix';
  stickiness?: string;
  payload?: Payload;
  overrides?: Override[];
}

export interface StrategyDefinition {
  name: string;
  parameters?: Record<string, string>;
  constraints?: Constraint[];
  segments?: number[];
  variants?: VariantDefinition[];
  title?: string;
  disabled?: boolean;
}

export interface Dependency {
  feature: string;
  enabled?: boolean;
  variants?: string[];
}

export interface FeatureDefinition {
  name: string;
  enabled: boolean;
  strategies: StrategyDefinition[];
  variants?: VariantDefinition[];
  dependencies?: Dependency[];
  description?: string | null;
  type?: string;
  project?: string;
  stale?: boolean;
  impressionData?: boolean;
}

export interface Segment {
  id: number;
  name?: string;
  description?: string | null;
  constraints: Constraint[];
}

/** Unleash's client-API features document (`GET /api/client/features`). */
export interface FeaturesDocument {
  version: number;
  features: FeatureDefinition[];
  segments?: Segment[];
}

// ---- schemas ----

/** Flag names: what fits in a URL path segment and a log line (Unleash allows UTF-8, so do we). */
export const flagName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s/\\?#%\x00-\x1f\x7f]+$/, 'a flag name has no spaces, slashes, ?, #, % or control characters');

const numericString = (what: string, min?: number, max?: number) =>
  z
    .union([z.number(), z.string()])
    .transform(String)
    .refine((s) => s.trim() !== '' && Number.isFinite(Number(s)), `${what} must be a number`)
    .refine((s) => (min === undefined || Number(s) >= min) && (max === undefined || Number(s) <= max), `${what} must be between ${min} and ${max}`);

const percent = (what: string) => numericString(what, 0, 100);

export const constraintSchema = z
  .object({
    contextName: z.string().min(1),
    operator: z.enum(OPERATORS),
    values: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
    value: z.union([z.string(), z.number()]).transform(String).optional(),
    inverted: z.boolean().optional(),
    caseInsensitive: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (LIST_OPERATORS.has(c.operator)) {
      if (!c.values) issue('values', `${c.operator} compares against a list: set values`);
      if (c.operator === 'IN_CIDR') {
        for (const [i, v] of (c.values ?? []).entries()) if (!isCidrOrAddress(v)) ctx.addIssue({ code: 'custom', path: ['values', i], message: `"${v}" is not an IP address or CIDR range` });
      }
      return;
    }
    if (c.value === undefined) return issue('value', `${c.operator} compares against one value: set value`);
    if (c.operator.startsWith('NUM_') && !Number.isFinite(Number(c.value))) issue('value', `"${c.value}" is not a number`);
    if (c.operator.startsWith('DATE_') && Number.isNaN(new Date(c.value).getTime())) issue('value', `"${c.value}" is not a date (use ISO 8601)`);
    if (c.operator.startsWith('SEMVER_') && !semver.valid(c.value)) issue('value', `"${c.value}" is not a semantic version`);
    if (c.operator === 'REGEX') {
      try {
        RE2JS.compile(c.value);
      } catch (err) {
        issue('value', `not a valid RE2 regular expression: ${(err as Error).message}`);
      }
    }
  });

const payloadSchema = z
  .object({ type: z.enum(PAYLOAD_TYPES), value: z.union([z.string(), z.number()]).transform(String) })
  .superRefine((p, ctx) => {
    if (p.type === 'json') {
      try {
        JSON.parse(p.value);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'a json payload must hold valid JSON' });
      }
    }
    if (p.type === 'number' && !Number.isFinite(Number(p.value))) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a number payload must hold a number' });
  });

export const variantSchema = z.object({
  name: z.string().min(1).max(255),
  weight: z.number().int().min(0).max(1000).optional(),
  weightType: z.enum(['variable', 'fix']).optional(),
  stickiness: z.string().min(1).optional(),
  payload: payloadSchema.optional(),
  overrides: z.array(z.object({ contextName: z.string().min(1), values: z.array(z.string()) })).optional(),
});

const parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** Parameters each built-in strategy needs, checked against `parameters`. */
const builtinParameters: Record<string, z.ZodType> = {
  flexibleRollout: z.object({ rollout: percent('rollout'), stickiness: z.string().min(1).optional(), groupId: z.string().optional() }).loose(),
  gradualRolloutUserId: z.object({ percentage: percent('percentage'), groupId: z.string().optional() }).loose(),
  gradualRolloutSessionId: z.object({ percentage: percent('percentage'), groupId: z.string().optional() }).loose(),
  gradualRolloutRandom: z.object({ percentage: percent('percentage') }).loose(),
  userWithId: z.object({ userIds: z.string() }).loose(),
  remoteAddress: z.object({ IPs: z.string() }).loose(),
  applicationHostname: z.object({ hostNames: z.string() }).loose(),
};

export const strategySchema = z
  .object({
    name: z.string().min(1),
    parameters: parameters.optional(),
    constraints: z.array(constraintSchema).optional(),
    segments: z.array(z.number().int()).optional(),
    variants: z.array(variantSchema).optional(),
    title: z.string().nullable().optional().transform((t) => t ?? undefined),
    disabled: z.boolean().nullable().optional().transform((d) => d ?? undefined),
    // Unleash's server sends these; they mean nothing to an SDK.
    id: z.string().optional(),
    sortOrder: z.number().optional(),
  })
  .superRefine((s, ctx) => {
    const check = builtinParameters[s.name];
    if (!check) return;
    const r = check.safeParse(s.parameters ?? {});
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['parameters', ...i.path.map((p) => p as string | number)], message: i.message });
  });

const dependencySchema = z.object({
  feature: flagName,
  enabled: z.boolean().optional(),
  variants: z.array(z.string()).optional(),
});

/** One flag. `name` may be left out where the name comes from elsewhere (a URL, a cutover.yaml key). */
export const featureBodySchema = z.object({
  enabled: z.boolean().default(false),
  strategies: z.array(strategySchema).default([]),
  variants: z.array(variantSchema).optional(),
  dependencies: z.array(dependencySchema).optional(),
  description: z.string().nullable().optional(),
  type: z.string().optional(),
  project: z.string().optional(),
  stale: z.boolean().optional(),
  impressionData: z.boolean().optional(),
});

export const featureSchema = featureBodySchema.extend({ name: flagName });

export const segmentSchema = z.object({
  id: z.number().int(),
  name: z.string().optional(),
  description: z.string().nullable().optional(),
  constraints: z.array(constraintSchema).default([]),
});

export const featuresDocumentSchema = z.object({
  version: z.number().int().default(2),
  features: z.array(featureSchema),
  segments: z.array(segmentSchema).optional(),
});

// ---- parsing with normalisation ----

/** Turns zod's issues into "path: message" lines (the path of the field first) and throws them whole. */
function fail(source: string, error: z.ZodError, prefix: (string | number)[] = []): never {
  throw new FlagInvalidError(
    source,
    error.issues.map((i) => ({ path: [...prefix, ...i.path.map((p) => p as string | number)].join('.') || '(root)', message: i.message })),
  );
}

/** Validates one flag definition and normalises it; `name` (when given) wins over a name in the body, which must agree. */
export function parseFeature(input: unknown, name?: string, source = 'flag definition'): FeatureDefinition {
  const body = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : input;
  if (name !== undefined && body && typeof body === 'object' && 'name' in body && body.name !== name) {
    throw new FlagInvalidError(source, [{ path: 'name', message: `the definition names "${String(body.name)}" but is for "${name}"` }]);
  }
  const withName = name !== undefined && body && typeof body === 'object' ? { ...body, name } : body;
  const r = featureSchema.safeParse(withName);
  if (!r.success) fail(source, r.error);
  return normaliseFeature(r.data as FeatureDefinition);
}

/** Validates a features document (`{ version, features, segments }`); every problem is listed with its path. */
export function parseFeaturesDocument(input: unknown, source = 'features document'): FeaturesDocument {
  const r = featuresDocumentSchema.safeParse(input);
  if (!r.success) fail(source, r.error);
  const doc = r.data as FeaturesDocument;
  const issues: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  doc.features.forEach((f, i) => {
    if (seen.has(f.name)) issues.push({ path: `features.${i}.name`, message: `"${f.name}" appears twice` });
    seen.add(f.name);
  });
  const ids = new Set<number>();
  (doc.segments ?? []).forEach((s, i) => {
    if (ids.has(s.id)) issues.push({ path: `segments.${i}.id`, message: `segment ${s.id} appears twice` });
    ids.add(s.id);
  });
  if (issues.length) throw new FlagInvalidError(source, issues);
  return { version: doc.version, features: doc.features.map(normaliseFeature), ...(doc.segments ? { segments: doc.segments.map(normaliseSegment) } : {}) };
}

export function parseSegment(input: unknown, source = 'segment'): Segment {
  const r = segmentSchema.safeParse(input);
  if (!r.success) fail(source, r.error);
  return normaliseSegment(r.data as Segment);
}

function normaliseSegment(s: Segment): Segment {
  return { id: s.id, ...(s.name !== undefined ? { name: s.name } : {}), ...(s.description != null ? { description: s.description } : {}), constraints: s.constraints.map(normaliseConstraint) };
}

function normaliseConstraint(c: Constraint): Constraint {
  return {
    contextName: c.contextName,
    operator: c.operator,
    ...(LIST_OPERATORS.has(c.operator) ? { values: c.values ?? [] } : { value: c.value }),
    inverted: c.inverted ?? false,
    caseInsensitive: c.caseInsensitive ?? false,
  };
}

function normaliseFeature(f: FeatureDefinition): FeatureDefinition {
  const out: FeatureDefinition = {
    name: f.name,
    enabled: f.enabled,
    strategies: f.strategies.map((s) => normaliseStrategy(s, f.name)),
    variants: spreadWeights(f.variants ?? []),
  };
  if (f.dependencies?.length) out.dependencies = f.dependencies;
  for (const k of ['description', 'type', 'project', 'stale', 'impressionData'] as const) if (f[k] != null) (out as unknown as Record<string, unknown>)[k] = f[k];
  return out;
}

function normaliseStrategy(s: StrategyDefinition & { id?: string; sortOrder?: number }, flag: string): StrategyDefinition {
  const parameters = { ...(s.parameters ?? {}) };
  // Unleash's server always stores a groupId; SDKs differ on what an absent one means, so none is ever absent here.
  if (s.name === 'flexibleRollout') {
    parameters.groupId ||= flag;
    parameters.stickiness ||= 'default';
  }
  const out: StrategyDefinition = { name: s.name, parameters, constraints: (s.constraints ?? []).map(normaliseConstraint) };
  if (s.segments?.length) out.segments = s.segments;
  if (s.variants?.length) out.variants = spreadWeights(s.variants);
  if (s.title) out.title = s.title;
  if (s.disabled) out.disabled = s.disabled;
  return out;
}

/**
 * Variants without a weight (or with weightType "variable") share what the
 * fixed ones leave of 1000, evenly, the first ones taking the remainder: how
 * Unleash's server fills them in. An explicit weight on every variant is kept.
 */
export function spreadWeights(variants: (Omit<VariantDefinition, 'weight'> & { weight?: number })[]): VariantDefinition[] {
  if (variants.length === 0) return [];
  const allExplicit = variants.every((v) => v.weight !== undefined && v.weightType !== 'variable');
  const clean = (v: (typeof variants)[number], weight: number): VariantDefinition => ({
    name: v.name,
    weight,
    weightType: v.weightType ?? (allExplicit ? 'fix' : v.weight !== undefined && v.weightType !== 'variable' ? 'fix' : 'variable'),
    stickiness: v.stickiness ?? 'default',
    ...(v.payload ? { payload: v.payload } : {}),
    ...(v.overrides?.length ? { overrides: v.overrides } : {}),
  });
  if (allExplicit) return variants.map((v) => clean(v, v.weight!));
  const isFixed = (v: (typeof variants)[number]) => v.weight !== undefined && v.weightType !== 'variable';
  const fixed = variants.filter(isFixed).reduce((sum, v) => sum + v.weight!, 0);
  const variable = variants.filter((v) => !isFixed(v));
  const left = Math.max(0, 1000 - fixed);
  const each = Math.floor(left / variable.length);
  let remainder = left - each * variable.length;
  return variants.map((v) => {
    if (isFixed(v)) return clean(v, v.weight!);
    const extra = remainder > 0 ? 1 : 0;
    remainder -= extra;
    return clean(v, each + extra);
  });
}

function isCidrOrAddress(v: string): boolean {
  const m = /^(.+?)(?:\/(\d{1,3}))?$/.exec(v.trim());
  if (!m) return false;
  const [, addr, bits] = m;
  const v4 = /^(\d{1,3})(\.\d{1,3}){3}$/.test(addr!) && addr!.split('.').every((o) => Number(o) <= 255);
  const v6 = !v4 && addr!.includes(':') && /^[0-9a-fA-F:.]+$/.test(addr!);
  if (!v4 && !v6) return false;
  return bits === undefined || Number(bits) <= (v4 ? 32 : 128);
}
