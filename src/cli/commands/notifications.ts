/** `cutover notifications`: the webhooks, their delivery counts and recent deliveries with attempts and last error. */
import type { Command } from 'commander';
import type { NotificationsReport } from '../../notify/report.ts';
import { ApiClient, withClientFlags, type ClientOptions } from '../client.ts';

type Flags = ClientOptions & { json?: boolean; hook?: string; state?: string; limit: string };

export function registerNotificationsCommand(program: Command): void {
  withClientFlags(program.command('notifications').description('webhooks, and their recent deliveries with attempts and last error'))
    .option('--hook <name>', 'only this webhook\'s deliveries')
    .option('--state <state>', 'only pending, delivered or failed deliveries')
    .option('-n, --limit <n>', 'how many recent deliveries', '20')
    .action(async (flags: Flags) => {
      const { formatNotifications } = await import('../format-notifications.ts');
      const q = new URLSearchParams({ limit: String(Number(flags.limit)) });
      if (flags.hook) q.set('hook', flags.hook);
      if (flags.state) q.set('state', flags.state);
      const report = await ApiClient.fromOptions(flags).call<NotificationsReport>('GET', `/api/v1/notifications?${q}`);
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatNotifications(report));
    });
}
