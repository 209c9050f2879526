/**
 * Flags move with the code. A canary's setFlag steps change flags in the same store transaction as the transition
 * that passes them, and the rollout's state keeps, per revision, each flag's definition from before
 * (`flagChanges`). When a revision that set flags stops serving without a newer revision taking over (abort,
 * failure, undo, a superseding deploy of another revision), the transition that moves traffic back puts them back,
 * in the same transaction. When a newer revision becomes stable, the older one's record is dropped and the flags stay
 * as they are. Pure.
 *
 * @example
 * // canary 3 passes `setFlag: { name: checkout, rollout: 25 }`: sets [checkout 25 %], records [{ revision: 3 }]
 * // abort (3 aborted, stable 2):           restore { checkout: <definition before> }, record of 3 dropped
 * // 3 completes, later 4 completes:        3's record kept while 3 is stable, then dropped; checkout stays at 25 %
 */
import { inProgress, type FlagSet, type PlannedEvent, type RolloutState } from './state.ts';
import type { FlagChanges } from '../store/records.ts';

export interface FlagTransition {
  /** Flags to put back (name → definition from before; null: delete), when a record's revision stopped serving. */
  restore?: Record<string, unknown>;
  /** setFlag steps passed in this transition. */
  sets: FlagSet[];
  /** The records the next state keeps before this transition's own setFlag steps are added. */
  kept: FlagChanges[];
  /** Why the flags are restored, for the event. */
  why?: string;
}

/** What a transition from `prev` to `next` does to flags, given the setFlag steps the planner passed. */
export function flagTransition(prev: RolloutState, next: RolloutState, sets: FlagSet[]): FlagTransition {
  const kept: FlagChanges[] = [];
  const gone: FlagChanges[] = [];
  for (const rec of prev.flagChanges ?? []) {
    if (serving(next, rec.revision)) kept.push(rec);
    // A newer revision took over: what the older rollout turned on is now part of the service.
    else if (next.stable === null || next.stable < rec.revision) gone.push(rec);
  }
  if (gone.length === 0) return { sets, kept };
  // Newest first, so the definition from before the oldest rollout is the one written last: where the service was.
  gone.sort((a, b) => b.revision - a.revision);
  const restore: Record<string, unknown> = {};
  for (const rec of gone) Object.assign(restore, rec.before);
  const aborted = gone.some((r) => r.revision === next.canary && next.aborted);
  const revs = gone.map((r) => r.revision).join(', ');
  const why = aborted ? `revision ${revs}'s rollout ended (${next.message || 'aborted'})` : `revision ${revs} no longer serves`;
  return { restore, sets, kept, why };
}

/**
 * The records after this transition: `kept`, plus, for `revision` (the rollout that passed the steps), the
 * definitions from before of the flags set now; a flag already recorded keeps its first definition from before.
 */
export function recordSets(kept: FlagChanges[], revision: number, sets: FlagSet[], before: Record<string, unknown>, restored: Record<string, unknown> | undefined): FlagChanges[] {
  if (sets.length === 0) return kept;
  const others = kept.filter((r) => r.revision !== revision);
  const rec: FlagChanges = { revision, before: { ...(kept.find((r) => r.revision === revision)?.before ?? {}) } };
  for (const s of sets) {
    if (Object.hasOwn(rec.before, s.name)) continue;
    rec.before[s.name] = restored && Object.hasOwn(restored, s.name) ? restored[s.name] : (before[s.name] ?? null);
  }
  return [...others, rec].sort((a, b) => a.revision - b.revision);
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
