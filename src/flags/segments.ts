/**
 * Segments: named lists of constraints that strategies share by id. A strategy
 * adds the constraints of each segment it names to its own; a segment that
 * does not exist fails the strategy (as in Unleash's SDKs).
 */
import type { Constraint, Segment, StrategyDefinition } from './model.ts';

export type SegmentLookup = ReadonlyMap<number, Segment>;

export function segmentLookup(segments: readonly Segment[] | undefined): SegmentLookup {
  return new Map((segments ?? []).map((s) => [s.id, s]));
}

/** The strategy's own constraints, then each segment's; `undefined` stands for a missing segment. */
export function strategyConstraints(strategy: StrategyDefinition, segments: SegmentLookup): (Constraint | undefined)[] {
  const out: (Constraint | undefined)[] = [...(strategy.constraints ?? [])];
  for (const id of strategy.segments ?? []) {
    const segment = segments.get(id);
    if (segment) out.push(...(segment.constraints ?? []));
    else out.push(undefined);
  }
  return out;
}

/**
 * The features with every segment's constraints copied into the strategies
 * that name it: what Unleash's server sends to SDKs too old for global
 * segments (client spec < 4.2.0, or none said).
 */
export function inlineSegments<F extends { strategies: StrategyDefinition[] }>(features: F[], segments: SegmentLookup): F[] {
  return features.map((f) => ({
    ...f,
    strategies: f.strategies.map((s) => {
      if (!s.segments?.length) return s;
      const { segments: _ids, ...rest } = s;
      return { ...rest, constraints: strategyConstraints(s, segments).map((c) => c ?? { contextName: 'segment', operator: 'IN', values: [] }) };
    }),
  }));
}
