/**
 * A dry run is the same plan without execution: the planner is run tick by
 * tick against a simulated world where every wanted instance is ready at
 * once, pauses are promoted, timed pauses elapse and every analysis
 * measurement passes. The result is the
 * sequence of transitions a real rollout would go through (`cutover deploy
 * --dry-run`). Pure.
 */
import type { StrategyName } from '../config/schema.ts';
import { dueMetrics } from '../analysis/run.ts';
import type { Observed, ObservedMeasurement, PlanSpec, RolloutState } from './state.ts';
import { runMetrics } from './strategies/analysis-runs.ts';
import { inProgress, startRollout } from './state.ts';
import { planRollout } from './strategies/index.ts';
import { describeSet } from './rollout-flags.ts';

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
    const plan = planRollout({ spec, state: s, observed: { ...instantWorld(s, t), measurements: passingMeasurements(s, spec, t) } });
    s = plan.state;
    for (const e of plan.events) steps.push({ type: e.type, reason: e.reason, ...snapshot(s) });
    // Flag changes are made by the controller with the transition; the plan names them, the dry run shows them.
    for (const f of plan.flags ?? []) steps.push({ type: 'FlagSet', reason: `setFlag: ${describeSet(f)} (put back if the rollout is aborted, fails or is undone)`, ...snapshot(s) });
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

/** A Successful measurement for every metric due: the dry run shows where analysis runs, not what it will say. */
function passingMeasurements(s: RolloutState, spec: PlanSpec, now: number): ObservedMeasurement[] {
  return s.analysisRuns.flatMap((run) =>
    dueMetrics(run, runMetrics(spec, run), now).map((m) => ({ run: run.id, metric: m.name, measurement: { phase: 'Successful' as const, at: now, value: '-', message: 'assumed to pass in a dry run' } })),
  );
}

function snapshot(s: RolloutState): Pick<DryRunStep, 'scale' | 'weights'> {
  const weights = Object.fromEntries(Object.entries(s.desired.weightsBp).map(([r, bp]) => [r, bp / 100]));
  return { scale: { ...s.desired.scale }, weights };
}
