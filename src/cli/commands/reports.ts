/** `cutover shadow report` and `cutover experiment report`: what a shadow or an A/B experiment found. */
import type { Command } from 'commander';
import type { ExperimentReport } from '../../rollout/experiment-report.ts';
import type { ShadowReport } from '../../rollout/traffic-reports.ts';
import { ApiClient, withClientFlags, type ClientOptions } from '../client.ts';

type Flags = ClientOptions & { json?: boolean };

export function registerReportCommands(program: Command): void {
  const shadow = program.command('shadow').description('shadow rollouts: compare the new revision with stable on copies of live requests');
  withClientFlags(shadow.command('report <service>').description('compared requests, diff rate by kind, latency stable vs shadow, and the first differing samples')).action(
    async (service: string, flags: Flags) => {
      const r = await ApiClient.fromOptions(flags).call<ShadowReport>('GET', `/api/v1/services/${encodeURIComponent(service)}/shadow`);
      console.log(flags.json ? JSON.stringify(r, null, 2) : formatShadow(r));
    },
  );
  const experiment = program.command('experiment').description('A/B experiments between the stable and the new revision');
  withClientFlags(experiment.command('report <service>').description('users, conversions per goal and their significance per variant')).action(
    async (service: string, flags: Flags) => {
      const r = await ApiClient.fromOptions(flags).call<(ExperimentReport & { running: boolean }) | null>('GET', `/api/v1/services/${encodeURIComponent(service)}/experiment`);
      console.log(flags.json ? JSON.stringify(r, null, 2) : r ? formatExperiment(r) : `${service}: no experiment running`);
    },
  );
}

export function formatShadow(r: ShadowReport): string {
  if (r.shadowRevision === null) return `${r.service}: no shadow rollout running`;
  const lines = [`${r.service}: revision ${r.shadowRevision} shadows revision ${r.stableRevision ?? '-'}`];
  const c = r.comparison;
  if (!c) lines.push('  nothing compared yet');
  else {
    lines.push(`  copies: ${c.mirrored} sent, ${c.dropped} dropped, ${c.shadowErrors} failed`);
    lines.push(`  compared: ${c.compared}, differing: ${c.differing} (${(c.diffRate * 100).toFixed(2)} %): status ${c.byKind.status}, header ${c.byKind.header}, body ${c.byKind.body}`);
  }
  const lat = (s: ShadowReport['stable']) => (s ? `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, errors ${(s.errorRate * 100).toFixed(1)} %` : 'no traffic in the window');
  lines.push(`  stable: ${lat(r.stable)}`, `  shadow: ${lat(r.shadow)}`);
  for (const s of c?.samples.slice(0, 5) ?? []) {
    lines.push(`  ${new Date(s.at).toISOString()}  ${s.request}`, ...s.detail.map((d) => `      ${d}`));
  }
  return lines.join('\n');
}

export function formatExperiment(r: ExperimentReport & { running: boolean }): string {
  const lines = [`experiment ${r.running ? 'running' : 'ended'}: ${r.verdict}`];
  for (const v of r.variants) {
    const goals = Object.entries(v.goals).map(([g, x]) => `${g} ${x.conversions} (${(x.rate * 100).toFixed(1)} %)`).join(', ');
    lines.push(`  ${v.name} (${v.role}, revision ${v.revision}): ${v.users} users, ${v.requests} requests, errors ${(v.errorRate * 100).toFixed(2)} %${goals ? `; ${goals}` : ''}`);
  }
  for (const g of r.goals) {
    lines.push(`  ${g.goal}: ${g.treatment.variant} − ${g.control.variant} = ${(g.diff * 100).toFixed(2)} pts, ${r.confidence * 100} % CI [${(g.ci[0] * 100).toFixed(2)}, ${(g.ci[1] * 100).toFixed(2)}], p = ${g.pValue.toPrecision(3)}`);
  }
  return lines.join('\n');
}
