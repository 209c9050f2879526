/**
 * What the status stream does not carry, fetched from the API while the page is open: the certificates the proxy
 * serves for an HTTPS service, and the live comparison of a shadow rollout or an experiment (refreshed every 5 s).
 */
import { useEffect, useState } from 'preact/hooks';
import type { ServiceCertificate } from '../../../src/rollout/types.ts';
import type { ShadowReport } from '../../../src/rollout/traffic-reports.ts';
import type { ExperimentReport } from '../../../src/rollout/experiment-report.ts';
import { call, describeError, svcPath, type RolloutStatus } from '../api.ts';

const REFRESH_MS = 5000;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function Certificates({ service, changeKey }: { service: string; changeKey: string }) {
  const [certs, setCerts] = useState<ServiceCertificate[]>([]);
  useEffect(() => {
    let live = true;
    call<ServiceCertificate[]>('GET', `/api/v1/certificates?service=${encodeURIComponent(service)}`)
      .then((c) => live && setCerts(c))
      // Status already says when the API is unreachable; the certificates keep their last answer.
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [service, changeKey]);
  if (certs.length === 0) return null;
  const now = Date.now();
  return (
    <section aria-labelledby="certs-title">
      <h2 id="certs-title">HTTPS certificates</h2>
      <ul class="plain">
        {certs.map((c) => {
          const days = Math.floor((Date.parse(c.notAfter) - now) / 86_400_000);
          return (
            <li key={`${c.listener}-${c.fingerprint256}`} data-certificate={c.listener}>
              {c.listener}: {c.subject} ({c.names.join(', ')}), issued by {c.issuer}; expires {c.notAfter.slice(0, 10)}{' '}
              <strong class={days < 14 ? 'expiring' : ''}>{days < 0 ? 'expired' : `in ${days} days`}</strong>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

type Report = { kind: 'shadow'; data: ShadowReport } | { kind: 'experiment'; data: (ExperimentReport & { running: boolean }) | null };

export function StrategyReport({ status: s }: { status: RolloutStatus }) {
  const kind = s.strategy === 'shadow' || s.strategy === 'experiment' ? s.strategy : null;
  const [report, setReport] = useState<Report | string | null>(null);
  useEffect(() => {
    if (!kind) return setReport(null);
    let live = true;
    const load = () =>
      call<Report['data']>('GET', `${svcPath(s.service)}/${kind}`)
        .then((data) => live && setReport({ kind, data } as Report))
        .catch((err) => live && setReport(describeError(err)));
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [s.service, kind]);
  if (!kind || report === null) return null;
  return (
    <section aria-labelledby="report-title" data-report={kind}>
      <h2 id="report-title">{kind === 'shadow' ? 'Shadow comparison' : 'Experiment'}</h2>
      {typeof report === 'string' ? <p class="muted">{report}</p> : report.kind === 'shadow' ? <Shadow r={report.data} /> : <Experiment r={report.data} />}
    </section>
  );
}

function Shadow({ r }: { r: ShadowReport }) {
  if (r.shadowRevision === null) return <p class="muted">No shadow rollout running.</p>;
  const c = r.comparison;
  return (
    <ul class="plain">
      <li>
        Revision #{r.shadowRevision} gets copies of the requests to #{r.stableRevision ?? '—'}; it serves no user.
      </li>
      <li>
        {c
          ? `${c.compared} answers compared, ${c.differing} differing (${pct(c.diffRate)}: status ${c.byKind.status}, header ${c.byKind.header}, body ${c.byKind.body}); ${c.dropped} copies dropped, ${c.shadowErrors} shadow errors`
          : 'Nothing compared yet.'}
      </li>
      {r.stable && r.shadow && (
        <li>
          Error rate {pct(r.stable.errorRate)} stable vs {pct(r.shadow.errorRate)} shadow; p99 {r.stable.p99.toFixed(0)} ms vs {r.shadow.p99.toFixed(0)} ms
        </li>
      )}
    </ul>
  );
}

function Experiment({ r }: { r: (ExperimentReport & { running: boolean }) | null }) {
  if (!r) return <p class="muted">No experiment yet.</p>;
  return (
    <>
      <p>
        {r.running ? 'Running' : 'Ended'}: {r.verdict}.
      </p>
      <div class="table-wrap" role="region" aria-label="experiment variants" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col">Role</th>
              <th scope="col">Revision</th>
              <th scope="col">Users</th>
              <th scope="col">Requests</th>
              <th scope="col">Error rate</th>
              {r.goals.map((g) => (
                <th scope="col" key={g.goal}>
                  {g.goal}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {r.variants.map((v) => (
              <tr key={v.name}>
                <td>{v.name}</td>
                <td>{v.role}</td>
                <td>{v.revision}</td>
                <td>{v.users}</td>
                <td>{v.requests}</td>
                <td>{pct(v.errorRate)}</td>
                {r.goals.map((g) => (
                  <td key={g.goal}>{pct(v.goals[g.goal]?.rate ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
