/** Plain-text renderings of control-plane objects for the terminal. */
import type { InstanceStatus, PlannedTransition, Revision, RolloutEvent, RolloutStatus, ServiceCertificate } from '../rollout/types.ts';
import { daysLeft, EXPIRY_WARNING_DAYS } from '../shared/certificate.ts';

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

const rev = (r: { number: number; version: string } | null): string => (r ? `${r.version} (#${r.number})` : '-');

/** `instances` (optional): with instances on more than one host, a line per host with its instances per revision. */
export function formatStatus(s: RolloutStatus, instances: InstanceStatus[] = []): string {
  const head = [
    `Service:   ${s.service}`,
    `Status:    ${s.phase}${s.message ? ` — ${s.message}` : ''}`,
    `Strategy:  ${s.strategy}${s.steps ? `  step ${Math.min(s.stepIndex, s.steps)}/${s.steps}` : ''}`,
    `Stable:    ${rev(s.stableRevision)}`,
    `Canary:    ${rev(s.canaryRevision)}${s.canaryRevision ? `  weight ${s.weight}%` : ''}`,
  ];
  for (const c of s.certificates ?? []) head.push(`TLS:       ${formatCertificate(c)}`);
  const rows = [['REVISION', 'VERSION', 'ROLE', 'READY', 'WEIGHT']];
  for (const r of s.revisions) rows.push([`#${r.number}`, r.version, r.role, `${r.ready}/${r.desired}`, `${r.weight}%`]);
  const metrics = [['ANALYSIS', 'METRIC', 'PHASE', 'OK/FAILED/INCONCL/ERROR', 'LAST']];
  for (const run of s.analysis ?? []) {
    for (const m of run.metrics) {
      const last = m.measurements.at(-1);
      metrics.push([run.id, m.name, m.phase, `${m.successful}/${m.failed}/${m.inconclusive}/${m.error}`, last ? `${last.phase} ${last.value}: ${last.message}` : '-']);
    }
  }
  return `${head.join('\n')}\n\n${table(rows)}${formatHosts(s, instances)}${metrics.length > 1 ? `\n\n${table(metrics)}` : ''}`;
}

/** Ready/running instances of each revision per host, when there is more than one host. */
function formatHosts(s: RolloutStatus, instances: InstanceStatus[]): string {
  const hosts = [...new Set(instances.map((i) => i.host))].sort();
  if (hosts.length < 2) return '';
  const rows = [['HOST', ...s.revisions.map((r) => `${r.version} (#${r.number})`)]];
  for (const h of hosts) {
    const on = instances.filter((i) => i.host === h);
    rows.push([h, ...s.revisions.map((r) => {
      const mine = on.filter((i) => i.revision === r.number);
      return `${mine.filter((i) => i.ready).length}/${mine.length} ready`;
    })]);
  }
  return `\n\n${table(rows)}`;
}

/** One certificate on one line: port, subject, names, expiry (with days left), and a refused reload if any. */
export function formatCertificate(c: ServiceCertificate, now = Date.now()): string {
  const days = daysLeft(c.notAfter, now);
  const left = days < 0 ? 'EXPIRED' : days < EXPIRY_WARNING_DAYS ? `${days} days left, renew soon` : `${days} days left`;
  const refused = c.reloadError ? `; last reload refused at ${c.reloadError.at}: ${c.reloadError.message}` : '';
  return `port ${c.port}  ${c.subject}  (${c.names.join(', ')})  expires ${c.notAfter.slice(0, 10)} (${left})${refused}`;
}

export function formatHistory(revisions: Revision[]): string {
  const rows = [['REVISION', 'VERSION', 'STRATEGY', 'CREATED', 'COMMAND']];
  for (const r of revisions) rows.push([`#${r.number}`, r.version, r.strategy, new Date(r.createdAt).toISOString(), r.command]);
  return table(rows);
}

/** `cutover instances`: one line per instance, uptime in seconds. */
export function formatInstances(instances: InstanceStatus[], now: number): string {
  const rows = [['INSTANCE', 'REVISION', 'HOST', 'PID', 'PORT', 'STATE', 'RESTARTS', 'UPTIME']];
  for (const i of instances) rows.push([i.id, `${i.version} (#${i.revision})`, i.host ?? '-', String(i.pid), String(i.port), i.state, String(i.restarts), `${Math.round((now - i.startedAt) / 1000)}s`]);
  return table(rows);
}

export function formatEvent(e: RolloutEvent): string {
  const at = new Date(e.time).toISOString();
  return `${at}  ${e.service.padEnd(12)} ${e.type.padEnd(26)} ${e.revision ? `#${e.revision} ` : ''}${e.reason}`;
}

/** `deploy --dry-run`: one line per transition with instances and traffic per revision. */
export function formatPlan(revision: { number: number; version: string }, steps: PlannedTransition[]): string {
  const fmt = (m: Record<number, number>, unit: string) =>
    Object.entries(m).map(([rev, n]) => `#${rev}:${+n.toFixed(2)}${unit}`).join(' ') || '-';
  const rows = [['TRANSITION', 'INSTANCES', 'TRAFFIC', 'REASON']];
  for (const s of steps) rows.push([s.type, fmt(s.scale, ''), fmt(s.weights, '%'), s.reason]);
  return `dry run: deploy ${revision.version} as revision #${revision.number} (nothing was changed)\n\n${table(rows)}`;
}
