/**
 * The evaluator: a features document compiled once into closures, then asked
 * `isEnabled(flag, context)` and `getVariant(flag, context)` with the answers
 * of Unleash's SDKs (proven by test/flags/client-specification.test.ts, which
 * runs every case of Unleash's client specification through it).
 *
 * Order, as in the SDKs: a flag whose parents are not satisfied, or that is
 * off, is off; a flag on with no strategies is on; otherwise the first
 * strategy whose constraints and own test pass turns it on, and its variants
 * (if any) choose the variant, else the flag's variants do.
 */
import type { FlagContext } from './context.ts';
import type { Dependency, FeatureDefinition, Segment } from './model.ts';
import { segmentLookup } from './segments.ts';
import { compileStrategy, type CompiledStrategy } from './strategies.ts';
import { compileVariants, DISABLED_VARIANT, type Variant, type VariantPicker } from './variants.ts';

interface CompiledFlag {
  name: string;
  on: boolean;
  /** False when `strategies` was not an array: the SDKs call that malformed and answer off. */
  wellFormed: boolean;
  strategies: CompiledStrategy[];
  variant: VariantPicker | null;
  dependencies: Dependency[];
  impressionData: boolean;
}

/** How a flag came out, for OFREP and providers. */
export type EvaluationReason = 'DISABLED' | 'STATIC' | 'TARGETING_MATCH';

export interface Evaluation {
  enabled: boolean;
  variant: Variant;
  reason: EvaluationReason;
}

/** A strategy enabled the flag: which one, so its variants can be asked. */
const NO_MATCH = null;
const STATIC_MATCH = 0 as const;

export class FlagEvaluator {
  private readonly flags = new Map<string, CompiledFlag>();

  /** Compiles a features document (`{ features, segments }`), as served or as read from a file; nothing is validated. */
  constructor(doc: { features?: readonly FeatureDefinition[]; segments?: readonly Segment[] }) {
    const segments = segmentLookup(doc.segments);
    for (const f of doc.features ?? []) {
      const wellFormed = Array.isArray(f.strategies);
      this.flags.set(f.name, {
        name: f.name,
        on: !!f.enabled,
        wellFormed,
        strategies: wellFormed ? f.strategies.map((s) => compileStrategy(s, segments)) : [],
        variant: Array.isArray(f.variants) ? compileVariants(f.variants, f.name, f.variants[0]?.stickiness) : null,
        dependencies: Array.isArray(f.dependencies) ? f.dependencies : [],
        impressionData: !!f.impressionData,
      });
    }
  }

  has(name: string): boolean {
    return this.flags.has(name);
  }

  names(): string[] {
    return [...this.flags.keys()];
  }

  /** Whether the flag is on for this context; `fallback` when there is no such flag. */
  isEnabled(name: string, ctx: FlagContext = {}, fallback = false): boolean {
    const flag = this.flags.get(name);
    if (!flag) return fallback;
    return this.match(flag, ctx) !== NO_MATCH;
  }

  /** The variant for this context ("disabled", or `fallback`, when the flag is off, missing or has none). */
  getVariant(name: string, ctx: FlagContext = {}, fallback: { name: string; enabled: boolean; payload?: Variant['payload'] } = DISABLED_VARIANT): Variant {
    const flag = this.flags.get(name);
    if (!flag) return { ...fallback, feature_enabled: false, featureEnabled: false };
    return this.variantOf(flag, ctx, fallback);
  }

  /** One pass for OFREP and providers: undefined when there is no such flag. */
  evaluate(name: string, ctx: FlagContext = {}): Evaluation | undefined {
    const flag = this.flags.get(name);
    if (!flag) return undefined;
    const variant = this.variantOf(flag, ctx, DISABLED_VARIANT);
    const enabled = variant.featureEnabled;
    const reason: EvaluationReason = !flag.on ? 'DISABLED' : enabled && flag.strategies.length === 0 ? 'STATIC' : 'TARGETING_MATCH';
    return { enabled, variant, reason };
  }

  private variantOf(flag: CompiledFlag, ctx: FlagContext, fallback: { name: string; enabled: boolean; payload?: Variant['payload'] }): Variant {
    const hit = this.match(flag, ctx);
    if (hit === NO_MATCH) return { ...fallback, feature_enabled: false, featureEnabled: false };
    if (hit !== STATIC_MATCH && hit.variant) {
      const v = hit.variant(ctx);
      if (v) return withPayload(v.name, v.payload);
    }
    const v = flag.variant?.(ctx);
    if (!v) return { ...fallback, feature_enabled: true, featureEnabled: true };
    return withPayload(v.name, v.payload);
  }

  /** The strategy that turns the flag on (STATIC_MATCH: on without strategies), or NO_MATCH. */
  private match(flag: CompiledFlag, ctx: FlagContext): CompiledStrategy | typeof STATIC_MATCH | typeof NO_MATCH {
    if ((flag.dependencies.length && !this.parentsSatisfied(flag, ctx)) || !flag.on || !flag.wellFormed) return NO_MATCH;
    if (flag.strategies.length === 0) return STATIC_MATCH;
    for (const s of flag.strategies) if (s.enabled(ctx)) return s;
    return NO_MATCH;
  }

  /** Every parent exists, has no parents of its own, and is on (or off, or on with one of the named variants) as required. */
  private parentsSatisfied(flag: CompiledFlag, ctx: FlagContext): boolean {
    for (const dep of flag.dependencies) {
      const parent = this.flags.get(dep.feature);
      if (!parent || parent.dependencies.length) return false;
      if (dep.enabled !== false) {
        if (dep.variants?.length) {
          const v = this.variantOf(parent, ctx, DISABLED_VARIANT);
          if (!(v.featureEnabled && dep.variants.includes(v.name))) return false;
        } else if (this.match(parent, ctx) === NO_MATCH) return false;
      } else if (this.match(parent, ctx) !== NO_MATCH) return false;
    }
    return true;
  }
}

function withPayload(name: string, payload: Variant['payload']): Variant {
  return payload ? { name, enabled: true, payload, feature_enabled: true, featureEnabled: true } : { name, enabled: true, feature_enabled: true, featureEnabled: true };
}
