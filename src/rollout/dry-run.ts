/**
 * A dry run is the same plan without execution: the planner is run tick by
 * tick against a simulated world where every wanted instance is ready at
 * once, pauses are promoted and timed pauses elapse. The result is the
 * sequence of transitions a real rollout would go through (`cutover deploy
 * --dry-run`). Pure.
 */
import type { StrategyName } from '../config/schema.ts';
import type { Observed, PlanSpec, RolloutState } from './state.ts';
import { inProgress, startRollout } from './state.ts';
import { planRollout } from './strategies/index.ts';

export interface DryRunStep {
  type: string;
  reason: string;
  /** Instances per revision after this transition. */
  scale: Record<number, number>;
  /** Traffic per revision in percent after this transition. */
  weights: Record<number, number>;
}

const MAX_TICKS = 500;

/** The transitions of rolling `revision` out over `state`, starting at `now`. */
export function dryRun(spec: PlanSpec, state: RolloutState, revision: number, strategy: StrategyName, now: number): DryRunStep[] {
  let s: RolloutState = { ...startRollout(state, revision, strategy, now), old: null, scaleDownAt: null };
  const steps: DryRunStep[] = [{ type: 'RolloutStarted', reason: `revision ${revision} with ${strategy}`, ...snapshot(s) }];
  let t = now;
  for (let i = 0; i < MAX_TICKS && inProgress(s); i++) {
    const plan = planRollout({ spec, state: s, observed: instantWorld(s, t) });
    s = plan.state;
    for (const e of plan.events) steps.push({ type: e.type, reason: e.reason, ...snapshot(s) });
    // Nobody will press promote in a simulation: do it for indefinite pauses, and let time pass for timed ones.
    const step = spec.strategy.canary?.steps[s.stepIndex];
    const timed = step !== undefined && 'pause' in step && step.pause.duration !== undefined;
    if (s.phase === 'Paused' && !timed) s = { ...s, promote: 'step' };
    t += 1000;
  }
  return steps;
}

/** The simulated world: every desired instance runs and is ready at once. */
export function instantWorld(s: RolloutState, now: number): Observed {
  const revisions: Observed['revisions'] = {};
  for (const [rev, n] of Object.entries(s.desired.scale)) revisions[Number(rev)] = { running: n, ready: n, crashLoop: false };
  return { now, revisions };
}

function snapshot(s: RolloutState): Pick<DryRunStep, 'scale' | 'weights'> {
  const weights = Object.fromEntries(Object.entries(s.desired.weightsBp).map(([r, bp]) => [r, bp / 100]));
  return { scale: { ...s.desired.scale }, weights };
}
