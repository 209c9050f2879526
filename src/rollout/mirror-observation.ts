/** A shadow rollout's comparison so far, read from the proxy's stats each tick: what the shadow planner judges. */
import type { MirrorObservation, RolloutState } from './state.ts';
import type { TrafficRouter } from './interfaces.ts';
import { inProgress } from './state.ts';
import { revisionKey } from './route-builder.ts';

export async function observeMirror(router: TrafficRouter, state: RolloutState): Promise<MirrorObservation | undefined> {
  if (state.strategy !== 'shadow' || !inProgress(state)) return undefined;
  // Unreadable stats judge nothing this tick (the planner neither passes nor fails on them).
  const stats = await Promise.resolve(router.stats()).catch(() => undefined);
  const m = stats?.find((s) => s.service === state.service)?.mirror;
  if (!m || m.revision !== revisionKey(state.canary!)) return undefined;
  const first = m.samples[0];
  return {
    compared: m.compared,
    differing: m.differing,
    shadowErrors: m.shadowErrors,
    dropped: m.dropped,
    ...(first ? { firstDifference: `${first.request}: ${first.detail[0] ?? first.kinds.join(', ')}` } : {}),
  };
}
