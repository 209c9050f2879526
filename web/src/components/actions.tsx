/** The rollout's actions; each names what it will do and calls the existing API route. */
import { call, svcPath, type RolloutStatus } from '../api.ts';
import type { RequestAction } from './confirm.tsx';

export function Actions({ status: s, canAct, request }: { status: RolloutStatus; canAct: boolean; request: RequestAction }) {
  const base = svcPath(s.service);
  const post = (verb: string, body?: unknown) => () => call<RolloutStatus>('POST', `${base}/${verb}`, body);
  const canary = s.canaryRevision ? `${s.canaryRevision.version} (#${s.canaryRevision.number})` : 'the new revision';
  const stable = s.stableRevision ? `${s.stableRevision.version} (#${s.stableRevision.number})` : 'the stable revision';
  const previous = s.revisions.find((r) => r.role === 'old');
  const buttons: Array<{ label: string; what: string; run: () => Promise<RolloutStatus>; danger?: boolean }> = [
    { label: 'Promote', what: `Skip the current pause of ${s.service}: ${canary} moves on to its next step.`, run: post('promote', {}) },
    { label: 'Promote full', what: `Skip every remaining step: ${canary} gets all of ${s.service}'s traffic and becomes stable.`, run: post('promote', { full: true }) },
    { label: 'Pause', what: `Hold the rollout of ${canary} at its current step until you resume it.`, run: post('pause') },
    { label: 'Resume', what: `Continue the rollout of ${canary} from where it was paused.`, run: post('resume') },
    { label: 'Abort', what: `Stop the rollout of ${canary}: all traffic goes back to ${stable}; the new instances are stopped.`, run: post('abort'), danger: true },
    { label: 'Retry', what: `Restart the aborted rollout of ${canary} from its first step.`, run: post('retry') },
    {
      label: 'Undo',
      what: `Roll ${s.service} back to the previous revision${previous ? ` (${previous.version}, #${previous.number})` : ''}: a new rollout of that revision's command and env, through ${s.strategy}'s steps.`,
      run: post('undo', {}),
      danger: true,
    },
  ];
  return (
    <div class="actions" role="group" aria-label="rollout actions">
      {buttons.map((b) => (
        <button
          key={b.label}
          type="button"
          class={b.danger ? 'danger' : ''}
          disabled={!canAct}
          title={canAct ? b.what : 'read-only session: the viewer token cannot act'}
          onClick={() => request({ verb: `${b.label} ${s.service}`, what: b.what, run: b.run, ...(b.danger ? { danger: true } : {}) })}
        >
          {b.label}
        </button>
      ))}
    </div>
  );
}
