/** The flags a rollout's setFlag steps change, served by the engine's FlagService (src/rollout/interfaces.ts RolloutFlags). */
import type { FeatureDefinition } from '../flags/model.ts';
import type { FlagEdit } from '../flags/edits.ts';
import type { FlagService } from '../flags/service.ts';
import type { PreparedFlags, RolloutFlagChange, RolloutFlags } from '../rollout/interfaces.ts';

export function rolloutFlags(flags: FlagService): RolloutFlags {
  return {
    prepare(changes: RolloutFlagChange[], actor: string, reason: string): PreparedFlags {
      const prepared = flags.prepare(changes.map(toEdit), { actor, reason });
      const before: Record<string, unknown> = {};
      for (const e of prepared.events) if (e.kind === 'flag' && !Object.hasOwn(before, e.name)) before[e.name] = e.before;
      return { change: prepared.change, events: prepared.events, before };
    },
    adopt: () => flags.adopt(),
  };
}

function toEdit(c: RolloutFlagChange): FlagEdit {
  if ('restore' in c) return { op: 'restore', name: c.name, definition: c.restore as FeatureDefinition | null };
  if (c.rollout !== undefined) return { op: 'rollout', name: c.name, percent: c.rollout };
  return { op: c.enabled ? 'enable' : 'disable', name: c.name };
}
