/**
 * `cutover dashboard`: prints a one-time login link to the web dashboard that
 * `cutover up` serves on the control API's port (and with --open opens it in
 * the browser). The link works once, within two minutes; after it the browser
 * holds only a session cookie.
 */
import type { Command } from 'commander';
import { CutoverError } from '../../errors.ts';

export class DashboardUnavailableError extends CutoverError {
  constructor(url: string) {
    super('DASHBOARD_UNAVAILABLE', `the API at ${url} did not answer with a login link`, {
      status: 502,
      hint: 'is it a Cutover control API with the dashboard (this version or later)? check -c / --api',
    });
  }
}

interface DashboardFlags {
  config: string;
  api?: string;
  token?: string;
  json?: boolean;
  open?: boolean;
  viewer?: boolean;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('print a one-time login link to the web dashboard (served by `cutover up` on the API port)')
    .option('-c, --config <file>', 'config file (for the API address and token)', 'cutover.yaml')
    .option('--api <url>', 'control API URL (default from config, or CUTOVER_API)')
    .option('--token <token>', 'API token (default from the state dir, or CUTOVER_TOKEN)')
    .option('--viewer', 'a link for a read-only session (sees everything, cannot act)')
    .option('--open', 'open the link in the default browser')
    .option('--json', 'print JSON')
    .action(async (flags: DashboardFlags) => {
      const { ApiClient } = await import('../client.ts');
      const client = await ApiClient.fromOptions(flags);
      const link = await client.call<{ path: string; expiresAt: number; role: string }>('POST', '/api/v1/login-links', { role: flags.viewer ? 'viewer' : 'admin' });
      if (typeof link?.path !== 'string' || !link.path.startsWith('/login?code=')) {
        throw new DashboardUnavailableError(client.url);
      }
      const url = client.url.replace(/\/+$/, '') + link.path;
      if (flags.json) console.log(JSON.stringify({ url, role: link.role, expiresAt: link.expiresAt }));
      else console.log(`${url}\n\nOpen it within 2 minutes; it works once (${link.role} session). Or open ${client.url}/ and paste the token.`);
      if (flags.open) await openInBrowser(url);
    });
}

async function openInBrowser(url: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  await new Promise<void>((resolve) => {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.once('error', () => {
      console.error(`could not run ${cmd}; open the link above yourself`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
