/** A tiny line of the last values (SVG), with its current value as text beside it. */
export function Sparkline({ values, label, current }: { values: number[]; label: string; current: string }) {
  const w = 96;
  const h = 24;
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`).join(' ');
  return (
    <span class="spark">
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}, last ${values.length} s; now ${current}`}>
        {values.length > 1 && <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />}
      </svg>
      <span class="spark-value">{current}</span>
    </span>
  );
}
