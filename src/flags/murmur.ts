/**
 * Unleash's bucketing: MurmurHash3 (x86, 32 bit) of "<groupId>:<id>", seed 0
 * for rollouts and 86028157 for variants, mod the range, plus one. Computed by
 * src/shared/murmur3.ts, equal bit for bit to the package Unleash's Node SDK
 * uses (murmurhash3js, checked in test/shared/murmur3.test.ts), so a string
 * hashes to the same bucket in both, including its handling of non-ASCII text
 * (each UTF-16 unit's low byte).
 */
import { murmur3 as hash32 } from '../shared/murmur3.ts';

export const ROLLOUT_SEED = 0;
export const VARIANT_SEED = 86028157;

/** 1..100: a user is in a rollout of p percent when this is ≤ p. */
export function rolloutBucket(id: string, groupId: string): number {
  return (hash32(`${groupId}:${id}`, ROLLOUT_SEED) % 100) + 1;
}

/** 1..totalWeight: picks the variant whose cumulative weight first reaches it. */
export function variantBucket(id: string, groupId: string | undefined, totalWeight: number): number {
  return (hash32(`${groupId}:${id}`, VARIANT_SEED) % totalWeight) + 1;
}

/** At most this many ids are remembered per rollout or variant list; then it starts over. */
const CACHE_LIMIT = 8192;

/**
 * rolloutBucket for one groupId, remembering the buckets of recent ids: the
 * same users come back, and a map look-up costs a fraction of the hash.
 */
export function rolloutBuckets(groupId: string): (id: string) => number {
  const cache = new Map<string, number>();
  return (id) => {
    let b = cache.get(id);
    if (b === undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      b = rolloutBucket(id, groupId);
      cache.set(id, b);
    }
    return b;
  };
}

/** variantBucket for one groupId and total weight, remembering recent ids (random seeds are not remembered). */
export function variantBuckets(groupId: string | undefined, totalWeight: number): (id: string, remember: boolean) => number {
  const cache = new Map<string, number>();
  return (id, remember) => {
    if (!remember) return variantBucket(id, groupId, totalWeight);
    let b = cache.get(id);
    if (b === undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      b = variantBucket(id, groupId, totalWeight);
      cache.set(id, b);
    }
    return b;
  };
}
