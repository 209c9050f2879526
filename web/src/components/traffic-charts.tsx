/** Live charts of one service per revision, last 15 minutes (uPlot). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RevisionSample, TrafficSample } from '../../../src/api/traffic-history.ts';
import { revisionColour } from '../format.ts';

interface ChartSpec {
  title: string;
  unit: string;
  /** Series per revision: label suffix and the value picked from a sample. */
  series: Array<{ suffix: string; pick: (r: RevisionSample) => number; dash?: number[] }>;
}

const CHARTS: ChartSpec[] = [
  { title: 'Requests per second', unit: 'req/s', series: [{ suffix: '', pick: (r) => r.rate }] },
  { title: 'Error rate', unit: '%', series: [{ suffix: '', pick: (r) => r.errorRate * 100 }] },
  {
    title: 'Latency p50 / p99',
    unit: 'ms',
    series: [
      { suffix: ' p50', pick: (r) => r.p50 },
      { suffix: ' p99', pick: (r) => r.p99, dash: [4, 3] },
    ],
  },
];

export function TrafficCharts({ samples, versions }: { samples: TrafficSample[]; versions: Record<string, string> }) {
  return (
    <div class="charts">
      {CHARTS.map((c) => (
        <Chart key={c.title} spec={c} samples={samples} versions={versions} />
      ))}
    </div>
  );
}

function Chart({ spec, samples, versions }: { spec: ChartSpec; samples: TrafficSample[]; versions: Record<string, string> }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<{ chart: uPlot; keys: string } | null>(null);
  const revs = [...new Set(samples.flatMap((s) => Object.keys(s.revisions)))].sort((a, b) => Number(a) - Number(b));
  const keys = revs.join(',');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data: uPlot.AlignedData = [
      samples.map((s) => s.time / 1000),
      ...revs.flatMap((r) => spec.series.map((ser) => samples.map((s) => (s.revisions[r] ? ser.pick(s.revisions[r]!) : null)))),
    ];
    if (plot.current?.keys !== keys) {
      plot.current?.chart.destroy();
      const opts: uPlot.Options = {
        width: el.clientWidth || 300,
        height: 160,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(max, spec.unit === '%' ? 1 : 0.001) * 1.1] } },
        axes: [{}, { label: spec.unit, size: 50 }],
        series: [
          {},
          ...revs.flatMap((r) =>
            spec.series.map((ser) => ({
              label: `${versions[r] ?? 'r' + r} #${r}${ser.suffix}`,
              stroke: revisionColour(Number(r)),
              width: 1.5,
              ...(ser.dash ? { dash: ser.dash } : {}),
              spanGaps: false,
            })),
          ),
        ],
      };
      plot.current = { chart: new uPlot(opts, data, el), keys };
    } else {
      plot.current.chart.setData(data);
    }
  });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => plot.current?.chart.setSize({ width: el.clientWidth, height: 160 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.chart.destroy();
      plot.current = null;
    };
  }, []);

  const last = samples.at(-1);
  const summary = revs.map((r) => `${versions[r] ?? r}: ${spec.series.map((s) => (last?.revisions[r] ? s.pick(last.revisions[r]!).toFixed(2) : '–') + s.suffix).join(' ')}`).join('; ');
  return (
    <figure class="chart">
      <figcaption>{spec.title}</figcaption>
      <div ref={box} role="img" aria-label={`${spec.title} per revision, last 15 minutes; now ${summary || 'no data'} (${spec.unit})`} />
    </figure>
  );
}
