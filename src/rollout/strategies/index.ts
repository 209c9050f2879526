/**
 * Dispatch to the strategy planner. Every planner is pure: (spec, state,
 * observations) → next state (with the desired scale, weights and match
 * rules) plus the events of the transitions it made.
 */
import type { Plan, PlanInput } from '../state.ts';
import { inProgress } from '../state.ts';
import { planBlueGreen } from './blue-green.ts';
import { planCanary } from './canary.ts';
import { planSteady } from './lifecycle.ts';
import { planRolling } from './rolling.ts';
import { planShadow } from './shadow.ts';
import { planExperiment } from './experiment.ts';
import { holdForHosts, releaseHold } from './host-hold.ts';

export { planBlueGreen } from './blue-green.ts';
export { planCanary } from './canary.ts';
export { planRolling } from './rolling.ts';
export { planShadow } from './shadow.ts';
export { planExperiment } from './experiment.ts';
export { planSteady, failRollout } from './lifecycle.ts';

/**
 * The one entry point the controller calls each tick. The very first revision
 * of a service (no stable yet) starts directly, whatever the strategy.
 *
 * @example planRollout({ spec, state, observed: { now: Date.now(), revisions: { 1: { running: 2, ready: 2, crashLoop: false } } } })
 */
export function planRollout(input: PlanInput): Plan {
  const held = holdForHosts(input);
  if (held) {
    held.state.updatedAt = input.observed.now;
    return held;
  }
  const released = releaseHold(input);
  const plan = dispatch(released.input);
  plan.state.updatedAt = input.observed.now;
  if (released.events.length > 0) plan.events.unshift(...released.events);
  return plan;
}

function dispatch(input: PlanInput): Plan {
  const { state } = input;
  if (!inProgress(state)) return planSteady(input);
  if (state.stable === null) return planRolling(input);
  switch (state.strategy) {
    case 'canary':
      return planCanary(input);
    case 'blueGreen':
      return planBlueGreen(input);
    case 'shadow':
      return planShadow(input);
    case 'experiment':
      return planExperiment(input);
    default:
      return planRolling(input);
  }
}
