/**
 * Replica and weight arithmetic shared by the planners. Pure and table-tested
 * (test/rollout/strategies/replicas.test.ts). Rounding follows Kubernetes:
 * a surge percentage rounds up, an unavailable percentage rounds down.
 */

/** Basis points for 100% of traffic. */
export const FULL_WEIGHT_BP = 10_000;

/**
 * Resolves `1` or `"25%"` against `replicas`.
 *
 * @example resolveIntOrPercent('25%', 10, 'up') // 3
 * @example resolveIntOrPercent('25%', 10, 'down') // 2
 */
export function resolveIntOrPercent(value: number | string, replicas: number, round: 'up' | 'down'): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.replace('%', ''));
  const exact = (replicas * pct) / 100;
  return round === 'up' ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable as instance counts. Both zero would never make
 * progress, so (like Kubernetes' validation intends) surge becomes 1.
 *
 * @example resolveRolling({ maxSurge: '25%', maxUnavailable: '25%' }, 4) // { surge: 1, unavailable: 1 }
 */
export function resolveRolling(
  cfg: { maxSurge: number | string; maxUnavailable: number | string },
  replicas: number,
): { surge: number; unavailable: number } {
  const surge = resolveIntOrPercent(cfg.maxSurge, replicas, 'up');
  const unavailable = Math.min(replicas, resolveIntOrPercent(cfg.maxUnavailable, replicas, 'down'));
  if (surge === 0 && unavailable === 0) return { surge: 1, unavailable: 0 };
  return { surge, unavailable };
}

/**
 * Canary instances for a traffic weight (percent): ceil(replicas × weight / 100),
 * at least 1 while the weight is above 0.
 *
 * @example canaryReplicas(4, 10) // 1
 * @example canaryReplicas(4, 50) // 2
 * @example canaryReplicas(4, 0) // 0
 */
export function canaryReplicas(replicas: number, weightPercent: number): number {
  if (weightPercent <= 0) return 0;
  return Math.min(replicas, Math.max(1, Math.ceil((replicas * weightPercent) / 100)));
}

/**
 * Splits 10000 basis points in proportion to `counts`; the rounding remainder
 * goes to the largest share so the total is exact. All-zero counts give {}.
 *
 * @example proportionalWeights({ 1: 2, 2: 1 }) // { 1: 6667, 2: 3333 }
 */
export function proportionalWeights(counts: Record<number, number>): Record<number, number> {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return {};
  const out: Record<number, number> = {};
  let given = 0;
  let largest = entries[0]![0];
  for (const [rev, n] of entries) {
    const share = Math.floor((n * FULL_WEIGHT_BP) / total);
    out[Number(rev)] = share;
    given += share;
    if (n > counts[Number(largest)]!) largest = rev;
  }
  out[Number(largest)] = (out[Number(largest)] ?? 0) + FULL_WEIGHT_BP - given;
  return out;
}

/**
 * Canary/stable split for a canary percent.
 *
 * @example splitWeights(1, 2, 25) // { 1: 7500, 2: 2500 }
 */
export function splitWeights(stable: number | null, canary: number, percent: number): Record<number, number> {
  const canaryBp = Math.round(percent * 100);
  if (stable === null || stable === canary) return { [canary]: FULL_WEIGHT_BP };
  if (canaryBp >= FULL_WEIGHT_BP) return { [canary]: FULL_WEIGHT_BP };
  if (canaryBp <= 0) return { [stable]: FULL_WEIGHT_BP };
  return { [stable]: FULL_WEIGHT_BP - canaryBp, [canary]: canaryBp };
}
