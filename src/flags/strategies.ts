/**
 * Activation strategies, each compiled once per snapshot into a test of the
 * context. Percentages are Unleash's: the bucket (1..100, see murmur.ts) of
 * the sticky id within the groupId must be ≤ the percentage, and 0 % is
 * nobody. An unknown (custom) strategy is never enabled.
 */
import { hostname } from 'node:os';
import { Address4 } from 'ip-address';
import { compileConstraints, type Check } from './constraints.ts';
import { contextValue, type FlagContext } from './context.ts';
import type { StrategyDefinition, VariantDefinition } from './model.ts';
import { rolloutBucket, rolloutBuckets } from './murmur.ts';
import { strategyConstraints, type SegmentLookup } from './segments.ts';
import { compileVariants, type VariantPicker } from './variants.ts';

export interface CompiledStrategy {
  name: string;
  /** Constraints (with segments) and the strategy's own test. */
  enabled: Check;
  /** Strategy variants, when it has some: picked only once it is enabled. */
  variant: VariantPicker | null;
}

type Params = Record<string, string | undefined>;
type Build = (p: Params) => Check;

const split = (s: string) => s.split(/\s*,\s*/);

/** A sticky id is in when its bucket (1..100) is within the percentage; no id, or 0 %, is nobody. */
function inRollout(groupId: string, percentage: number): (id: string | undefined) => boolean {
  const bucket = rolloutBuckets(groupId);
  return (id) => !!id && percentage > 0 && bucket(String(id)) <= percentage;
}

const builders: Record<string, Build> = {
  default: () => () => true,

  userWithId: (p) => {
    const ids = new Set(p.userIds ? split(p.userIds) : []);
    return (ctx) => typeof ctx.userId === 'string' && ids.has(ctx.userId);
  },

  flexibleRollout: (p) => {
    const fixedGroup = p.groupId;
    const percentage = Number(p.rollout);
    const stickiness = p.stickiness || 'default';
    const random = () => `${Math.round(Math.random() * 10000) + 1}`;
    const stickyId: (ctx: FlagContext) => string | undefined =
      stickiness === 'default'
        ? (ctx) => (ctx.userId || ctx.sessionId || random()) as string
        : stickiness === 'random'
          ? random
          : (ctx) => contextValue(ctx, stickiness);
    if (fixedGroup) {
      const within = inRollout(fixedGroup, percentage);
      // Random stickiness draws a new id each time: nothing to remember.
      const drawn = () => percentage > 0 && rolloutBucket(random(), fixedGroup) <= percentage;
      if (stickiness === 'random') return drawn;
      if (stickiness === 'default') {
        return (ctx) => {
          const id = ctx.userId || ctx.sessionId;
          return id ? within(id as string) : drawn();
        };
      }
      return (ctx) => within(stickyId(ctx));
    }
    return (ctx) => {
      const id = stickyId(ctx);
      return !!id && percentage > 0 && rolloutBucket(String(id), (ctx.featureToggle as string | undefined) || '') <= percentage;
    };
  },

  gradualRolloutUserId: (p) => {
    const within = inRollout(p.groupId || '', Number(p.percentage));
    return (ctx) => within(ctx.userId as string | undefined);
  },

  gradualRolloutSessionId: (p) => {
    const within = inRollout(p.groupId || '', Number(p.percentage));
    return (ctx) => within(ctx.sessionId as string | undefined);
  },

  gradualRolloutRandom: (p) => {
    const percentage = Number(p.percentage);
    return () => percentage >= Math.floor(Math.random() * 100) + 1;
  },

  // IPv4 only, as in Unleash's SDKs (the IN_CIDR constraint covers IPv6).
  remoteAddress: (p) => {
    if (!p.IPs) return () => false;
    const ranges = split(p.IPs);
    const exact = new Set(ranges);
    const subnets: Address4[] = [];
    for (const r of ranges) {
      try {
        subnets.push(new Address4(r));
      } catch {
        // not an IPv4 range: only an exact match can hit it
      }
    }
    return (ctx) => {
      const addr = ctx.remoteAddress as string | undefined;
      if (addr !== undefined && exact.has(addr)) return true;
      if (!subnets.length) return false;
      let parsed: Address4;
      try {
        parsed = new Address4(addr || '');
      } catch {
        return false;
      }
      return subnets.some((s) => parsed.isInSubnet(s));
    };
  },

  // The host that evaluates: the application's with a local SDK or provider, Cutover's for OFREP.
  applicationHostname: (p) => {
    const self = (process.env.HOSTNAME || hostname() || 'undefined').toLowerCase();
    const hit = !!p.hostNames && split(p.hostNames.toLowerCase()).includes(self);
    return () => hit;
  },
};

export function isBuiltinStrategy(name: string): boolean {
  return Object.hasOwn(builders, name);
}

export function compileStrategy(s: StrategyDefinition, segments: SegmentLookup): CompiledStrategy {
  const params: Params = s.parameters ?? {};
  const build = Object.hasOwn(builders, s.name) ? builders[s.name] : undefined;
  const own: Check = build ? build(params) : () => false;
  const constraints = compileConstraints(strategyConstraints(s, segments));
  const enabled: Check = constraints ? (ctx) => constraints(ctx) && own(ctx) : own;
  const variants: VariantDefinition[] = Array.isArray(s.variants) ? s.variants : [];
  // Strategy variants: the first variant's stickiness, else the strategy's; the groupId parameter as the hash group.
  const variant = variants.length ? compileVariants(variants, params.groupId, variants[0]!.stickiness || params.stickiness) : null;
  return { name: s.name, enabled, variant };
}
