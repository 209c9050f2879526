/** status, history, events: read-only views of the control plane. */
import type { Command } from 'commander';
import type { InstanceStatus, Revision, RolloutEvent, RolloutStatus } from '../../rollout/types.ts';
import { ApiClient, withClientFlags, type ClientOptions } from '../client.ts';
import { formatEvent, formatHistory, formatStatus } from '../format.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchStatus(client: ApiClient, service?: string): Promise<RolloutStatus[]> {
  if (!service) return client.call<RolloutStatus[]>('GET', '/api/v1/services');
  return [await client.call<RolloutStatus>('GET', `/api/v1/services/${encodeURIComponent(service)}`)];
}

/** The service's instances, for the per-host lines of the status (none when the API does not give them). */
async function instancesOf(client: ApiClient, service: string): Promise<InstanceStatus[]> {
  const list = await client.call<unknown>('GET', `/api/v1/services/${encodeURIComponent(service)}/instances`).catch(() => []);
  return Array.isArray(list) ? (list as InstanceStatus[]) : [];
}

export function registerInspectCommands(program: Command): void {
  withClientFlags(program.command('status [service]').description('phase, step, weights and ready instances per revision'))
    .option('-w, --watch', 'keep showing live progress until interrupted')
    .action(async (service: string | undefined, flags: ClientOptions & { json?: boolean; watch?: boolean }) => {
      const client = await ApiClient.fromOptions(flags);
      let last = '';
      do {
        const statuses = await fetchStatus(client, service);
        const out = flags.json ? JSON.stringify(service ? statuses[0] : statuses, null, 2) : (await Promise.all(statuses.map(async (s) => formatStatus(s, await instancesOf(client, s.service))))).join('\n\n');
        if (out !== last) {
          // A terminal gets a redrawn screen; a pipe gets each change once.
          if (flags.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
          console.log(flags.watch && !flags.json ? `${new Date().toISOString()}\n${out}\n` : out);
          last = out;
        }
        if (flags.watch) await sleep(500);
      } while (flags.watch);
    });

  withClientFlags(program.command('history <service>').description('revisions of a service, newest last'))
    .option('--show-secrets', 'with --json: env values as they are, not masked (keys and a short hash)')
    .action(async (service: string, flags: ClientOptions & { json?: boolean; showSecrets?: boolean }) => {
      const client = await ApiClient.fromOptions(flags);
      const revisions = await client.call<Revision[]>('GET', `/api/v1/services/${encodeURIComponent(service)}/revisions${flags.showSecrets ? '?showSecrets=true' : ''}`);
      console.log(flags.json ? JSON.stringify(revisions, null, 2) : formatHistory(revisions));
    });

  withClientFlags(program.command('events [service]').description('rollout events with time and reason'))
    .option('-f, --follow', 'keep printing new events')
    .option('-n, --limit <n>', 'how many recent events', '50')
    .action(async (service: string | undefined, flags: ClientOptions & { json?: boolean; follow?: boolean; limit: string }) => {
      const client = await ApiClient.fromOptions(flags);
      const q = (since?: number) =>
        `/api/v1/events?limit=${Number(flags.limit)}${service ? `&service=${encodeURIComponent(service)}` : ''}${since !== undefined ? `&since=${since}` : ''}`;
      let since: number | undefined;
      do {
        const events = await client.call<RolloutEvent[]>('GET', q(since));
        for (const e of events) console.log(flags.json ? JSON.stringify(e) : formatEvent(e));
        if (events.length) since = events[events.length - 1]!.id;
        if (flags.follow) await sleep(500);
      } while (flags.follow);
    });
}
