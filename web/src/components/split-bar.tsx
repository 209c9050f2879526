import type { RolloutStatus } from '../api.ts';
import { revisionColour } from '../format.ts';

/** The traffic split across revisions, as a bar with a text legend. */
export function SplitBar({ status }: { status: RolloutStatus }) {
  const parts = status.revisions.filter((r) => r.weight > 0);
  const text = parts.map((r) => `${r.version} (#${r.number}) ${r.weight}%`).join(', ') || 'no traffic routed';
  return (
    <div class="split" data-split={parts.map((r) => `${r.number}:${r.weight}`).join(',')}>
      <div class="split-bar" role="img" aria-label={`traffic split: ${text}`}>
        {parts.map((r) => (
          <span key={r.number} style={{ width: `${r.weight}%`, background: revisionColour(r.number) }} />
        ))}
      </div>
      <div class="split-legend">
        {parts.map((r) => (
          <span key={r.number}>
            <span class="swatch" aria-hidden="true" style={{ background: revisionColour(r.number) }} />
            {r.version} {r.weight}%
          </span>
        ))}
        {parts.length === 0 && <span>no traffic routed</span>}
      </div>
    </div>
  );
}
