/**
 * Variant selection, as Unleash's SDKs do it: no weight, no variant; an
 * override whose values hold the context's value wins; otherwise the
 * stickiness value (userId, then sessionId, then remoteAddress by default, or
 * the named field; a random number when the context has none) is hashed with
 * the variant seed into 1..total weight, and the first variant whose running
 * weight reaches it is the one.
 */
import { contextValue, type FlagContext } from './context.ts';
import type { Payload, VariantDefinition } from './model.ts';
import { variantBuckets } from './murmur.ts';

/** What getVariant answers: the variant (or "disabled"), and whether the flag itself is on. */
export interface Variant {
  name: string;
  enabled: boolean;
  payload?: Payload;
  feature_enabled: boolean;
  featureEnabled: boolean;
}

export const DISABLED_VARIANT: Readonly<{ name: string; enabled: boolean; payload?: Payload }> = Object.freeze({ name: 'disabled', enabled: false });

const randomSeed = () => String(Math.round(Math.random() * 100000));

/** The sticky value, or undefined when the context has none (a random seed is then drawn). */
function seedFor(ctx: FlagContext, stickiness: string | undefined): string | undefined {
  if (stickiness !== undefined && stickiness !== 'default') return contextValue(ctx, stickiness) || undefined;
  for (const key of ['userId', 'sessionId', 'remoteAddress'] as const) {
    const v = ctx[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

export type VariantPicker = (ctx: FlagContext) => VariantDefinition | null;

/**
 * Compiles a list of variants into a picker. `groupId` is the flag's name for
 * flag variants, the strategy's groupId parameter for strategy variants.
 */
export function compileVariants(variants: readonly VariantDefinition[], groupId: string | undefined, stickiness: string | undefined): VariantPicker | null {
  if (!variants.length) return null;
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (!(total > 0)) return () => null;
  const withOverrides = variants.filter((v) => v.overrides);
  const bucket = variantBuckets(groupId, total);
  return (ctx) => {
    for (const v of withOverrides) {
      if (v.overrides!.some((o) => o.values.some((value) => value === contextValue(ctx, o.contextName)))) return v;
    }
    const seed = seedFor(ctx, stickiness);
    const target = seed === undefined ? bucket(randomSeed(), false) : bucket(seed, true);
    let counter = 0;
    for (const v of variants) {
      if (v.weight === 0) continue;
      counter += v.weight;
      if (counter >= target) return v;
    }
    return null;
  };
}
