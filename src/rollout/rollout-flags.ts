/**
 * Flags move with the code. A canary's setFlag steps change flags in the same store transaction as the transition
 * that passes them, and the rollout's state keeps each flag's definition from before (`flagChanges`). When the
 * revision that set them stops serving without a newer revision taking over (abort, failure, undo, a superseding
 * deploy of another revision), the transition that moves traffic back puts them back, in the same transaction.
 * When a newer revision completes, the flags stay as they are and the record is dropped. Pure.
 *
 * @example
 * // canary 3 passes `setFlag: { name: checkout, rollout: 25 }`: sets [checkout 25 %], record { revision: 3 }
 * // abort (3 aborted, stable 2):           restore { checkout: <definition before> }, record dropped
 * // 3 completes, later 4 completes:        record kept while 3 is stable, then dropped; checkout stays at 25 %
 */
import { inProgress, type FlagSet, type PlannedEvent, type RolloutState } from './state.ts';
import type { FlagChanges } from '../store/records.ts';

export interface FlagTransition {
  /** Flags to put back (name → definition from before; null: delete), when the record's revision stopped serving. */
  restore?: Record<string, unknown>;
  /** setFlag steps passed in this transition. */
  sets: FlagSet[];
  /** The record the next state keeps before this transition's own setFlag steps are added. */
  kept: FlagChanges | undefined;
  /** Why the flags are restored, for the event. */
  why?: string;
}

/** What a transition from `prev` to `next` does to flags, given the setFlag steps the planner passed. */
export function flagTransition(prev: RolloutState, next: RolloutState, sets: FlagSet[]): FlagTransition {
  const rec = prev.flagChanges;
  if (!rec || serving(next, rec.revision)) return { sets, kept: rec };
  // A newer revision took over: what the rollout turned on is now part of the service.
  if (next.stable !== null && next.stable > rec.revision) return { sets, kept: undefined };
  const why = next.canary === rec.revision && next.aborted ? `revision ${rec.revision}'s rollout ended (${next.message || 'aborted'})` : `revision ${rec.revision} no longer serves`;
  return { restore: rec.before, sets, kept: undefined, why };
}

/** The record after this transition: what `kept` had, plus the definitions from before of flags set now. */
export function recordSets(next: RolloutState, kept: FlagChanges | undefined, sets: FlagSet[], before: Record<string, unknown>, restored: Record<string, unknown> | undefined): FlagChanges | undefined {
  if (sets.length === 0) return kept;
  const revision = next.canary!;
  const rec: FlagChanges = kept && kept.revision === revision ? { revision, before: { ...kept.before } } : { revision, before: {} };
  for (const s of sets) {
    if (Object.hasOwn(rec.before, s.name)) continue; // the first definition from before is the one to go back to
    rec.before[s.name] = restored && Object.hasOwn(restored, s.name) ? restored[s.name] : (before[s.name] ?? null);
  }
  return rec;
}

export function describeSet(s: FlagSet): string {
  return s.rollout !== undefined ? `${s.name} on for ${s.rollout} % of users` : `${s.name} ${s.enabled ? 'on' : 'off'}`;
}

/** Events for a transition's flag changes. */
export function flagEvents(t: FlagTransition, revision: number | undefined): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  if (t.restore) out.push({ type: 'FlagsRestored', reason: `${Object.keys(t.restore).join(', ')} put back as before: ${t.why}`, ...(revision !== undefined ? { revision } : {}) });
  for (const s of t.sets) out.push({ type: 'FlagSet', reason: `setFlag: ${describeSet(s)} (put back if the rollout is aborted, fails or is undone)`, ...(revision !== undefined ? { revision } : {}) });
  return out;
}

/** The revision is stable, or being rolled out (not aborted). */
function serving(s: RolloutState, revision: number): boolean {
  return s.stable === revision || (s.canary === revision && inProgress(s));
}
