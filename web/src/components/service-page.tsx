/** One service: rollout steps, split, live charts, instances, history, events and the actions. */
import type { LiveState } from '../live.ts';
import type { Role } from '../api.ts';
import { Actions } from './actions.tsx';
import { useActionRunner } from './confirm.tsx';
import { DeployForm } from './deploy-form.tsx';
import { EventFeed } from './event-feed.tsx';
import { InstancesTable } from './instances-table.tsx';
import { PhaseBadge } from './phase-badge.tsx';
import { RevisionHistory } from './revision-history.tsx';
import { SplitBar } from './split-bar.tsx';
import { StepsTimeline } from './steps-timeline.tsx';
import { Certificates, StrategyReport } from './strategy-extras.tsx';
import { TrafficCharts } from './traffic-charts.tsx';

export function ServicePage({ service, live, role }: { service: string; live: LiveState; role: Role }) {
  const { request, ui } = useActionRunner();
  const s = live.status.find((x) => x.service === service);
  if (!s) return <p>{live.stale ? 'Connecting…' : `No service named "${service}".`}</p>;
  const canAct = role === 'admin';
  const versions = Object.fromEntries(s.revisions.map((r) => [String(r.number), r.version]));
  const events = live.events.filter((e) => e.service === service);
  const changeKey = `${s.stableRevision?.number}-${s.canaryRevision?.number}-${events.at(-1)?.id ?? 0}`;
  return (
    <article aria-labelledby="service-title" data-service={service}>
      <p>
        <a href="#/">← All services</a>
      </p>
      <div class="card-head">
        <h1 id="service-title">{service}</h1>
        <PhaseBadge phase={s.phase} />
      </div>
      <p class="message" data-testid="message">
        {s.message}
      </p>
      {!canAct && <p class="notice">Read-only session: you can watch, not act.</p>}
      <Actions status={s} canAct={canAct} request={request} />
      {ui}
      <div class="columns">
        <section aria-labelledby="steps-title">
          <h2 id="steps-title">Rollout ({s.strategy})</h2>
          <p class="step-text">
            {s.canaryRevision
              ? `${s.canaryRevision.version} (#${s.canaryRevision.number})${s.steps > 0 ? `: step ${Math.min(s.stepIndex + 1, s.steps)}/${s.steps}` : ''}, weight ${s.weight}%`
              : `stable ${s.stableRevision ? `${s.stableRevision.version} (#${s.stableRevision.number})` : '—'}, no rollout in progress`}
          </p>
          <StepsTimeline status={s} />
          {s.migration && (
            <p>
              Migration <code>{s.migration.file}</code>: {s.migration.step === 'started' ? 'expanded (both schema versions live)' : s.migration.step === 'completing' ? 'completing (contract)' : 'rolling back'}
            </p>
          )}
        </section>
        <section aria-labelledby="split-title">
          <h2 id="split-title">Traffic split</h2>
          <SplitBar status={s} />
          <ul class="plain">
            {s.revisions.map((r) => (
              <li key={r.number}>
                {r.version} #{r.number} ({r.role}): {r.ready}/{r.desired} ready, {r.weight}% of traffic
              </li>
            ))}
          </ul>
        </section>
      </div>
      <StrategyReport status={s} />
      <Certificates service={service} changeKey={changeKey} />
      <section aria-labelledby="charts-title">
        <h2 id="charts-title">Traffic, last 15 minutes</h2>
        <TrafficCharts samples={live.samples[service] ?? []} versions={versions} />
      </section>
      <section aria-labelledby="instances-title">
        <h2 id="instances-title">Instances</h2>
        <InstancesTable service={service} instances={live.instances.filter((i) => i.service === service)} />
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">Revision history</h2>
        <RevisionHistory status={s} canAct={canAct} request={request} changeKey={changeKey} />
      </section>
      <DeployForm service={service} canAct={canAct} request={request} />
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <EventFeed events={events} />
      </section>
    </article>
  );
}
