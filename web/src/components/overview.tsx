/** Every service at a glance: phase, versions, split, readiness, traffic. */
import type { RolloutStatus, TrafficSample } from '../api.ts';
import { percent, rate } from '../format.ts';
import type { LiveState } from '../live.ts';
import { PhaseBadge } from './phase-badge.tsx';
import { Sparkline } from './sparkline.tsx';
import { SplitBar } from './split-bar.tsx';

const SPARK_SECONDS = 120;

/** Requests/s and error share of the whole service at each sample. */
export function serviceSeries(samples: TrafficSample[]): { rate: number[]; errorRate: number[] } {
  const out = { rate: [] as number[], errorRate: [] as number[] };
  for (const s of samples) {
    let total = 0;
    let errors = 0;
    for (const r of Object.values(s.revisions)) {
      total += r.rate;
      errors += r.rate * r.errorRate;
    }
    out.rate.push(total);
    out.errorRate.push(total > 0 ? errors / total : 0);
  }
  return out;
}

export function Overview({ live }: { live: LiveState }) {
  if (live.status.length === 0) return <p>{live.stale ? 'Connecting to the controller…' : 'No services in the config.'}</p>;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Services</h1>
      <ul class="cards">
        {live.status.map((s) => (
          <ServiceCard key={s.service} status={s} samples={live.samples[s.service] ?? []} />
        ))}
      </ul>
      {live.flags && (
        <p class="flags-summary">
          <a href="#/flags">Feature flags</a>: {live.flags.flags.length}, {live.flags.flags.filter((f) => f.enabled).length} on.
        </p>
      )}
    </section>
  );
}

function ServiceCard({ status: s, samples }: { status: RolloutStatus; samples: TrafficSample[] }) {
  const series = serviceSeries(samples.slice(-SPARK_SECONDS));
  const ready = s.revisions.reduce((n, r) => n + r.ready, 0);
  const desired = s.revisions.reduce((n, r) => n + r.desired, 0);
  return (
    <li class="card" data-service={s.service}>
      <div class="card-head">
        <h2>
          <a href={`#/services/${encodeURIComponent(s.service)}`}>{s.service}</a>
        </h2>
        <PhaseBadge phase={s.phase} />
      </div>
      <p class="message">{s.message}</p>
      <dl class="facts">
        <div>
          <dt>Stable</dt>
          <dd>{s.stableRevision ? `${s.stableRevision.version} (#${s.stableRevision.number})` : '—'}</dd>
        </div>
        <div>
          <dt>New</dt>
          <dd>{s.canaryRevision ? `${s.canaryRevision.version} (#${s.canaryRevision.number})` : '—'}</dd>
        </div>
        <div>
          <dt>Ready</dt>
          <dd>
            {ready}/{desired}
          </dd>
        </div>
        {s.steps > 0 && s.canaryRevision && (
          <div>
            <dt>Step</dt>
            <dd class="step-text">
              {Math.min(s.stepIndex + 1, s.steps)}/{s.steps}, weight {s.weight}%
            </dd>
          </div>
        )}
      </dl>
      <SplitBar status={s} />
      <div class="sparks">
        <span>
          req/s <Sparkline values={series.rate} label="requests per second" current={rate(series.rate.at(-1) ?? 0)} />
        </span>
        <span>
          errors <Sparkline values={series.errorRate} label="error rate" current={percent((series.errorRate.at(-1) ?? 0) * 100, 1)} />
        </span>
      </div>
    </li>
  );
}
