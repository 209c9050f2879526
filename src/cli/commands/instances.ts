/** `cutover instances <service>`: the instances the controller runs now (what the dashboard's table shows). */
import type { Command } from 'commander';
import type { InstanceStatus } from '../../rollout/types.ts';
import { ApiClient, withClientFlags, type ClientOptions } from '../client.ts';
import { formatInstances } from '../format.ts';

export function registerInstancesCommand(program: Command): void {
  withClientFlags(program.command('instances <service>').description('instances of a service: revision, pid, port, state, restarts, uptime')).action(
    async (service: string, flags: ClientOptions & { json?: boolean }) => {
      const list = await (await ApiClient.fromOptions(flags)).call<InstanceStatus[]>('GET', `/api/v1/services/${encodeURIComponent(service)}/instances`);
      console.log(flags.json ? JSON.stringify(list, null, 2) : formatInstances(list, Date.now()));
    },
  );
}
