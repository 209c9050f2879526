/** Checks across the whole flag state, which one definition cannot make alone (src/flags/model.ts checks each one). */
import type { FeatureDefinition, Segment } from './model.ts';

export interface FlagState {
  features: FeatureDefinition[];
  segments: Segment[];
}

/**
 * What must hold across flags: segments that strategies name exist, parents
 * exist, a flag depends on no flag that has parents of its own (Unleash allows
 * one level), nor on itself. Returns the problems, each with its path.
 */
export function stateIssues(state: FlagState): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const byName = new Map(state.features.map((f) => [f.name, f]));
  const segmentIds = new Set(state.segments.map((s) => s.id));
  for (const f of state.features) {
    f.strategies.forEach((s, i) =>
      (s.segments ?? []).forEach((id, j) => {
        if (!segmentIds.has(id)) issues.push({ path: `${f.name}.strategies.${i}.segments.${j}`, message: `segment ${id} does not exist` });
      }),
    );
    (f.dependencies ?? []).forEach((d, i) => {
      const parent = byName.get(d.feature);
      const path = `${f.name}.dependencies.${i}.feature`;
      if (d.feature === f.name) issues.push({ path, message: 'a flag cannot depend on itself' });
      else if (!parent) issues.push({ path, message: `flag "${d.feature}" does not exist` });
      else if (parent.dependencies?.length) issues.push({ path, message: `"${d.feature}" depends on other flags itself; Unleash allows one level of dependencies` });
    });
  }
  return issues;
}
