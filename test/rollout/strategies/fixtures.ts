/** Builders and a tiny simulated world for the planner table tests. */
import { strategyName, type StrategyConfig } from '../../../src/config/schema.ts';
import type { Observed, ObservedRevision, Plan, PlanSpec, RolloutState } from '../../../src/rollout/state.ts';
import { initialState, startRollout } from '../../../src/rollout/state.ts';
import { planRollout } from '../../../src/rollout/strategies/index.ts';
import { instantWorld } from '../../../src/rollout/dry-run.ts';
import { FULL_WEIGHT_BP } from '../../../src/rollout/strategies/replicas.ts';

export const T0 = 1_000_000;

export function spec(strategy: StrategyConfig, replicas = 3, progressDeadlineSeconds = 60): PlanSpec {
  return { replicas, strategy, progressDeadlineSeconds };
}

/** Revision 1 stable at `replicas`, revision 2 being rolled out with `strategy`. */
export function rollingOut(s: PlanSpec, overrides: Partial<RolloutState> = {}): RolloutState {
  const base = { ...initialState('web', T0), stable: 1, phase: 'Healthy' as const };
  base.desired.scale[1] = s.replicas;
  base.desired.weightsBp[1] = FULL_WEIGHT_BP;
  return { ...startRollout(base, 2, strategyName(s.strategy), T0), ...overrides };
}

export function obs(now: number, revisions: Record<number, Partial<ObservedRevision> & { ready: number }>, extra: Partial<Observed> = {}): Observed {
  const out: Observed = { now, revisions: {}, ...extra };
  for (const [rev, o] of Object.entries(revisions)) out.revisions[Number(rev)] = { running: o.ready, crashLoop: false, ...o };
  return out;
}

/**
 * Runs the planner tick by tick (1 s apart) in an instant world, checking on
 * every tick that no revision without ready instances has traffic.
 */
export function simulate(s: PlanSpec, state: RolloutState, ticks: number, onTick?: (p: Plan, i: number) => void): { plans: Plan[]; state: RolloutState } {
  const plans: Plan[] = [];
  for (let i = 0; i < ticks; i++) {
    const observed = instantWorld(state, T0 + i * 1000);
    const world = observed.revisions;
    const plan = planRollout({ spec: s, state, observed });
    for (const [rev, bp] of Object.entries(plan.state.desired.weightsBp)) {
      if (bp > 0 && (world[Number(rev)]?.ready ?? 0) === 0) throw new Error(`tick ${i}: weight ${bp} on revision ${rev} with no ready instance`);
    }
    plans.push(plan);
    onTick?.(plan, i);
    state = plan.state;
  }
  return { plans, state };
}

export function eventTypes(plans: Plan[]): string[] {
  return plans.flatMap((p) => p.events.map((e) => e.type));
}
