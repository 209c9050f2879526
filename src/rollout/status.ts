/** RolloutStatus, computed once per tick from the state and what was observed. Pure. */
import type { Observed, RolloutState } from './state.ts';
import type { Revision, RevisionStatus, RolloutStatus } from './types.ts';

export function computeStatus(state: RolloutState, observed: Observed, revisions: (n: number) => Pick<Revision, 'number' | 'version'> | undefined, steps: number): RolloutStatus {
  const ref = (n: number | null) => {
    if (n === null) return null;
    const r = revisions(n);
    return { number: n, version: r?.version ?? `r${n}` };
  };
  const numbers = new Set<number>();
  for (const [r, n] of Object.entries(state.desired.scale)) if (n > 0) numbers.add(Number(r));
  for (const [r, o] of Object.entries(observed.revisions)) if (o.running > 0) numbers.add(Number(r));
  if (state.stable !== null) numbers.add(state.stable);
  const rows: RevisionStatus[] = [...numbers].sort((a, b) => a - b).map((n) => ({
    number: n,
    version: ref(n)!.version,
    role: roleOf(state, n),
    desired: state.desired.scale[n] ?? 0,
    ready: observed.revisions[n]?.ready ?? 0,
    weight: (state.desired.weightsBp[n] ?? 0) / 100,
  }));
  // The new revision is stable, but the rollout is not done until its migration's complete has run (it waits for the
  // previous revision's instances to stop): `deploy --wait` must not report success before the contract step.
  const m = state.migration;
  const completing = m?.step === 'completing' && state.canary === null;
  return {
    service: state.service,
    phase: completing ? 'Progressing' : state.phase,
    message: completing ? `${state.message}; migration ${m.file} completes once the previous revision's instances have stopped` : state.message,
    strategy: state.strategy,
    stableRevision: ref(state.stable),
    canaryRevision: ref(state.canary),
    weight: state.canary === null ? 0 : (state.desired.weightsBp[state.canary] ?? 0) / 100,
    stepIndex: state.stepIndex,
    steps: state.strategy === 'canary' ? steps : 0,
    revisions: rows,
    updatedAt: state.updatedAt,
  };
}

function roleOf(state: RolloutState, n: number): RevisionStatus['role'] {
  if (n === state.stable) return 'stable';
  if (n === state.canary && !state.aborted) {
    if (state.strategy === 'blueGreen') return 'preview';
    if (state.strategy === 'shadow') return 'shadow';
  }
  if (n === state.canary) return 'canary';
  return 'old';
}
