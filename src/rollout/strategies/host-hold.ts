/**
 * With `hosts:`, weights and steps move on every host in step, so while a host does not answer a rollout in progress
 * holds where it is: the same instances and weights, no step, no pause running out, no progress deadline (the wait is
 * the host's, not the new revision's). It resumes by itself when every host answers, with its clocks moved on by the
 * time it held. A person can still abort it meanwhile; a promote takes effect when it goes on. Pure, like every planner.
 *
 * @example holdForHosts({ ...input, observed: { ...observed, unreachableHosts: [{ host: 'web-2', why: 'its proxy does not answer' }] } })
 * // { state: { ...state, phase: 'Paused', heldForHosts: { hosts: ['web-2'], since: now } }, events: [HostUnreachable] }
 */
import type { Plan, PlanInput, PlannedEvent, RolloutState } from '../state.ts';
import { inProgress } from '../state.ts';

/** The held plan, or null when nothing holds the rollout. */
export function holdForHosts(input: PlanInput): Plan | null {
  const { state, observed } = input;
  const down = observed.unreachableHosts ?? [];
  if (down.length === 0 || !inProgress(state) || state.aborted) return null;
  const held = state.heldForHosts;
  const events: PlannedEvent[] = [];
  const names = down.map((d) => d.host);
  if (!held || held.hosts.join() !== names.join()) {
    events.push({ type: 'HostUnreachable', reason: `${down.map((d) => `${d.host}: ${d.why}`).join('; ')}: the rollout waits for ${names.length === 1 ? 'it' : 'them'}`, ...(state.canary !== null ? { revision: state.canary } : {}) });
  }
  const next: RolloutState = {
    ...state,
    phase: 'Paused',
    message: `waiting for ${names.join(', ')} (${down.length === 1 ? 'does' : 'do'} not answer); resumes when ${names.length === 1 ? 'it answers' : 'they answer'}`,
    heldForHosts: { hosts: names, since: held?.since ?? observed.now },
  };
  return { state: next, events };
}

/**
 * A rollout that held and no longer does (its hosts answer, or it was aborted meanwhile): its clocks moved on by the
 * hold, and the event saying so. Called when holdForHosts returned null.
 */
export function releaseHold(input: PlanInput): { input: PlanInput; events: PlannedEvent[] } {
  const held = input.state.heldForHosts;
  if (!held) return { input, events: [] };
  const { heldForHosts: _, ...rest } = input.state;
  const shift = Math.max(0, input.observed.now - held.since);
  const state: RolloutState = { ...rest, progressAt: rest.progressAt + shift, pauseStartedAt: rest.pauseStartedAt === null ? null : rest.pauseStartedAt + shift };
  const down = input.observed.unreachableHosts ?? [];
  const names = held.hosts.join(', ');
  const reason = down.length === 0 ? `${names} ${held.hosts.length === 1 ? 'answers' : 'answer'} again after ${Math.round(shift / 1000)}s` : `the rollout stopped waiting for ${names}`;
  return { input: { ...input, state }, events: [{ type: 'HostReachable', reason }] };
}
