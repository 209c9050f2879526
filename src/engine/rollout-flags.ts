/** The flags a rollout's setFlag steps change, served by the engine's FlagService (src/rollout/interfaces.ts RolloutFlags). */
import type { FeatureDefinition } from '../flags/model.ts';
import type { FlagEdit } from '../flags/edits.ts';
import type { FlagService } from '../flags/service.ts';
import type { PreparedFlags, RolloutFlagChange, RolloutFlags } from '../rollout/interfaces.ts';

export function rolloutFlags(flags: FlagService): RolloutFlags {
  return {
    prepare(changes: RolloutFlagChange[], actor: string, reason: string): PreparedFlags {
      // Before, read from the flags as they are (a change that changes nothing makes no event, but must be
      // put back to the same definition, not deleted).
      const before: Record<string, unknown> = {};
      for (const c of changes) if (!Object.hasOwn(before, c.name)) before[c.name] = flags.get(c.name)?.definition ?? null;
      const prepared = flags.prepare(changes.map(toEdit), { actor, reason });
      return { change: prepared.change, events: prepared.events, before };
    },
    adopt: () => flags.adopt(),
    document(name: string) {
      // As SDKs see it (disabled strategies left out), with the flags it depends on, so the proxy answers as they do.
      const doc = flags.snapshot().document;
      const byName = new Map(doc.features.map((f) => [f.name, f]));
      if (!byName.has(name)) return undefined;
      const wanted = new Set<string>();
      const visit = (n: string): void => {
        const f = byName.get(n);
        if (!f || wanted.has(n)) return;
        wanted.add(n);
        for (const d of f.dependencies ?? []) visit(d.feature);
      };
      visit(name);
      const features = doc.features.filter((f) => wanted.has(f.name));
      return { features: features as unknown as Record<string, unknown>[], segments: doc.segments as unknown as Record<string, unknown>[] };
    },
  };
}

function toEdit(c: RolloutFlagChange): FlagEdit {
  if ('restore' in c) return { op: 'restore', name: c.name, definition: c.restore as FeatureDefinition | null };
  if (c.rollout !== undefined) return { op: 'rollout', name: c.name, percent: c.rollout };
  return { op: c.enabled ? 'enable' : 'disable', name: c.name };
}
