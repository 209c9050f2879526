/**
 * Unleash's delta events (`hydration`, `feature-updated`, `feature-removed`,
 * `segment-updated`, `segment-removed`) applied to a features document, the
 * way its SDKs apply what the delta API streams. Unknown event types are
 * skipped.
 */
import type { FeatureDefinition, FeaturesDocument, Segment } from './model.ts';

export type DeltaEvent =
  | { eventId?: number; type: 'hydration'; features: FeatureDefinition[]; segments?: Segment[] }
  | { eventId?: number; type: 'feature-updated'; feature: FeatureDefinition }
  | { eventId?: number; type: 'feature-removed'; featureName: string }
  | { eventId?: number; type: 'segment-updated'; segment: Segment }
  | { eventId?: number; type: 'segment-removed'; segmentId: number };

export function applyDelta(doc: FeaturesDocument, events: readonly DeltaEvent[]): FeaturesDocument {
  const features = new Map(doc.features.map((f) => [f.name, f]));
  let segments = new Map((doc.segments ?? []).map((s) => [s.id, s]));
  for (const e of events) {
    switch (e.type) {
      case 'hydration':
        features.clear();
        for (const f of e.features) features.set(f.name, f);
        segments = new Map((e.segments ?? []).map((s) => [s.id, s]));
        break;
      case 'feature-updated':
        features.set(e.feature.name, e.feature);
        break;
      case 'feature-removed':
        features.delete(e.featureName);
        break;
      case 'segment-updated':
        segments.set(e.segment.id, e.segment);
        break;
      case 'segment-removed':
        segments.delete(e.segmentId);
        break;
    }
  }
  return { version: doc.version, features: [...features.values()], segments: [...segments.values()] };
}
