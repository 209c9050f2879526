/**
 * One line a person reads in a chat or a mail subject: what happened, to what, and why. It carries no links (the
 * receiver may be a chat that unfurls them, and Cutover knows no public URL of its own).
 *
 * @example
 * summarize({ event: 'RolloutAborted', service: 'web', revision: 3, version: 'v3', reason: 'analysis failed', ... })
 * // "web: rollout of v3 (revision 3) aborted — analysis failed"
 */
import type { Notice } from './notice.ts';

const PHRASES: Record<string, string> = {
  RolloutStarted: 'rollout of {rev} started',
  StepCompleted: 'rollout of {rev}: step completed',
  Paused: 'rollout of {rev} paused',
  Resumed: 'rollout of {rev} resumed',
  Promoted: '{rev} promoted',
  RolloutAborted: 'rollout of {rev} aborted',
  AnalysisFailed: 'analysis of {rev} failed',
  RolloutCompleted: '{rev} is stable',
  RolledBack: 'rolled back to {rev}',
  ShadowFailed: 'shadow of {rev} failed',
  ExperimentConcluded: 'experiment with {rev} concluded',
};

export function summarize(n: Notice): string {
  if (n.stream === 'flagEvents') return `${n.event.startsWith('Flag') ? 'flag' : 'segment'} ${n.subject} ${n.event.replace(/^(Flag|Segment)/, '').toLowerCase()} by ${n.actor}${n.reason && !n.reason.endsWith(`by ${n.actor}`) ? ` — ${n.reason}` : ''}`;
  if (n.revision === null) return `${n.service}: ${n.event} — ${n.reason}`;
  const rev = n.version ? `${n.version} (revision ${n.revision})` : `revision ${n.revision}`;
  const phrase = (PHRASES[n.event] ?? `${n.event} for {rev}`).replace('{rev}', rev);
  return `${n.service}: ${phrase} — ${n.reason}`;
}
