/**
 * `--wait` for CI pipelines: follow one rollout until it completes (exit 0) or
 * fails, is aborted or is superseded (exit 1).
 */
import type { RolloutStatus } from '../rollout/types.ts';
import type { ApiClient } from './client.ts';

export type WaitOutcome = 'completed' | 'failed' | 'timeout';

/** Pure verdict for one status snapshot of the rollout of `revision`. */
export function rolloutOutcome(s: RolloutStatus, revision: number): WaitOutcome | 'progressing' {
  if (s.phase === 'Degraded') return 'failed';
  if (s.canaryRevision?.number === revision) return 'progressing';
  if (s.stableRevision?.number === revision) return s.phase === 'Healthy' ? 'completed' : 'progressing';
  return 'failed'; // another deploy took over
}

export function summary(s: RolloutStatus): string {
  const ready = s.revisions.map((r) => `${r.version}:${r.ready}/${r.desired}@${r.weight}%`).join(' ');
  const step = s.steps ? ` step ${Math.min(s.stepIndex, s.steps)}/${s.steps}` : '';
  return `${s.phase}${step} ${ready}${s.message ? ` — ${s.message}` : ''}`;
}

export async function waitForRollout(
  client: ApiClient,
  service: string,
  revision: number,
  opts: { timeoutMs?: number; intervalMs?: number; onChange?: (s: RolloutStatus) => void } = {},
): Promise<{ outcome: WaitOutcome; status: RolloutStatus }> {
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
  let last = '';
  for (;;) {
    const status = await client.call<RolloutStatus>('GET', `/api/v1/services/${encodeURIComponent(service)}`);
    const line = summary(status);
    if (line !== last) opts.onChange?.(status);
    last = line;
    const outcome = rolloutOutcome(status, revision);
    if (outcome !== 'progressing') return { outcome, status };
    if (Date.now() > deadline) return { outcome: 'timeout', status };
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
