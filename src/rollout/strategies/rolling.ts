/**
 * Rolling update: new instances first, each batch bounded by maxSurge and
 * maxUnavailable, old instances removed only as new ones are ready. Traffic is
 * split in proportion to ready instances per revision. Pure.
 *
 * @example
 * // replicas 3, maxSurge 1, maxUnavailable 0, stable 1 (3 ready), rolling out 2:
 * planRolling(input)                      // scale { 1: 3, 2: 1 }, weights { 1: 10000 }
 * // next tick, revision 2 has 1 ready:    scale { 1: 2, 2: 2 }, weights { 1: 6667, 2: 3333 }
 */
import type { RollingConfig } from '../../config/schema.ts';
import type { Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { acceptInconclusive, ensureRun, holdForPerson, inconclusiveRun } from './analysis-runs.ts';
import { completeRollout, beginTick } from './lifecycle.ts';
import { proportionalWeights, resolveRolling } from './replicas.ts';

const DEFAULTS: RollingConfig = { maxSurge: 1, maxUnavailable: 0 };

export function planRolling(input: PlanInput): Plan {
  const { spec, observed } = input;
  const next = input.state.canary!;
  const R = spec.replicas;
  const { surge, unavailable } = resolveRolling(spec.strategy.rolling ?? DEFAULTS, R);
  const prev = input.state.desired.scale;
  const olds = Object.keys(prev).map(Number).filter((r) => r !== next && (prev[r] ?? 0) > 0).sort((a, b) => a - b);

  const begun = beginTick(input, Math.min(R, prev[next] ?? 0));
  if (begun.failed) return begun.failed;
  let state: RolloutState = { ...begun.state, phase: input.state.phase };
  const events: PlannedEvent[] = begun.events;
  if (state.promote !== 'none' && inconclusiveRun(state)) state = { ...acceptInconclusive(state), promote: 'none' };
  // Background analysis of the new revision while the batches roll (never for the first revision: nothing to go back to).
  const ref = spec.strategy.rolling?.analysis;
  if (ref && state.stable !== null) {
    const r = ensureRun(state, spec, 'background', ref, next, observed.now);
    state = r.state;
    events.push(...r.events);
  }
  const held = inconclusiveRun(state);
  if (state.userPaused || held) return frozen({ ...input.state, analysisRuns: state.analysisRuns }, events, held && !state.userPaused ? holdForPerson(state, held).message : undefined);

  const ready = (rev: number, cap: number) => Math.min(observed.revisions[rev]?.ready ?? 0, cap);
  const curNew = prev[next] ?? 0;
  let oldScale = olds.map((r) => ({ rev: r, n: prev[r] ?? 0 }));
  // Scale old down first (unready ones cost no availability; ready ones go only
  // while R - maxUnavailable stay ready), then fill up to R + maxSurge with new.
  let canRemove = ready(next, curNew) + oldScale.reduce((s, o) => s + ready(o.rev, o.n), 0) - (R - unavailable);
  oldScale = oldScale.map((o) => {
    const unready = o.n - ready(o.rev, o.n);
    const fromReady = Math.max(0, Math.min(o.n - unready, canRemove));
    canRemove -= fromReady;
    return { rev: o.rev, n: o.n - unready - fromReady };
  });
  const oldTotal = oldScale.reduce((s, o) => s + o.n, 0);
  const newScale = Math.min(R, Math.max(curNew, R + surge - oldTotal));

  state.desired.scale[next] = newScale;
  const readyCounts: Record<number, number> = { [next]: ready(next, newScale) };
  for (const o of oldScale) {
    if (o.n > 0) state.desired.scale[o.rev] = o.n;
    readyCounts[o.rev] = ready(o.rev, o.n);
  }
  state.desired.weightsBp = proportionalWeights(readyCounts);

  const oldLeft = oldTotal;
  // With analysis, the rollout completes only once every metric has been measured at least once.
  const judged = !ref || state.stable === null || state.analysisRuns.every((r) => r.phase !== 'Running' || r.metrics.every((m) => m.count - m.error > 0));
  if (newScale === R && ready(next, R) >= R && oldLeft === 0 && judged) {
    const done = completeRollout(state, observed.now);
    return { state: done.state, events: [...events, done.event] };
  }
  state.phase = 'Progressing';
  state.message = `revision ${next}: ${ready(next, newScale)}/${R} ready, ${oldLeft} old instance(s) left`;
  // The first revision is never failed (nothing to fall back to), but it should not look fine either.
  if (state.stable === null && observed.revisions[next]?.crashLoop) {
    state.phase = 'Degraded';
    state.message = `revision ${next} is crash-looping; its instances are replaced as they give up`;
  }
  return { state, events };
}

/** Paused by the user (or by an inconclusive analysis): hold the current scale and weights. */
function frozen(state: RolloutState, events: PlannedEvent[] = [], message = 'paused; `cutover resume` continues'): Plan {
  return { state: { ...state, phase: 'Paused', message }, events };
}
