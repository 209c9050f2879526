/** Which revision `undo` goes back to, and whether it can be instant. Pure. */
import type { ServiceConfig } from '../config/schema.ts';
import { NothingToUndoError, RevisionNotFoundError } from './errors.ts';
import type { Intent } from './intents.ts';
import { strategyFor } from './spec.ts';
import { inProgress, type RolloutState } from './state.ts';
import type { Revision } from './types.ts';

/**
 * Default target: during a rollout, the stable revision (the rollout is
 * dropped); with a blue-green old set still running, that set (instant
 * switch back); otherwise the newest revision older than the stable one.
 *
 * @example resolveUndo({ stable: 3, old: 2, scaleDownAt: now + 20_000, ... }, revs, cfg, undefined, now)
 * // { type: 'undo', revision: 2, instant: true, ... }
 */
export function resolveUndo(state: RolloutState, revisions: Revision[], cfg: ServiceConfig, toRevision: number | undefined, now: number): Extract<Intent, { type: 'undo' }> {
  const service = state.service;
  const target = toRevision ?? defaultTarget(state, revisions);
  const rev = revisions.find((r) => r.number === target);
  if (!rev) throw new RevisionNotFoundError(service, target);
  if (target === state.stable && !inProgress(state)) throw new NothingToUndoError(service, `revision ${target} already serves all traffic`);
  const instant = !inProgress(state) && state.old === target && state.scaleDownAt !== null && now < state.scaleDownAt;
  const delayS = strategyFor(cfg, 'blueGreen').blueGreen!.scaleDownDelaySeconds;
  return { type: 'undo', revision: target, instant, scaleDownDelayMs: delayS * 1000, strategy: rev.strategy };
}

function defaultTarget(state: RolloutState, revisions: Revision[]): number {
  if (inProgress(state)) {
    if (state.stable === null) throw new NothingToUndoError(state.service, 'the first revision has nothing to go back to');
    return state.stable;
  }
  if (state.old !== null) return state.old;
  const older = revisions.filter((r) => state.stable !== null && r.number < state.stable).at(-1);
  if (!older) throw new NothingToUndoError(state.service, 'no earlier revision is kept');
  return older.number;
}
