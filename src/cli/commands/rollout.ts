/** deploy, promote, abort, retry, pause, resume, undo: the verbs that move a rollout. */
import type { Command } from 'commander';
import { BadRequestError } from '../../errors.ts';
import type { DeployRequest, PlannedTransition, RolloutStatus } from '../../rollout/types.ts';
import { ApiClient, withClientFlags, type ClientOptions } from '../client.ts';
import { formatPlan, formatStatus } from '../format.ts';
import { summary, waitForRollout } from '../wait.ts';

interface CommonFlags extends ClientOptions {
  json?: boolean;
  wait?: boolean;
  timeout?: string;
}

function collectEnv(value: string, acc: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new BadRequestError(`--env ${value}: expected KEY=VALUE`, 'for example --env LOG_LEVEL=debug');
  acc[value.slice(0, eq)] = value.slice(eq + 1);
  return acc;
}


function withWait(cmd: Command): Command {
  return cmd
    .option('--wait', 'wait until the rollout completes (exit 0) or fails/aborts (exit 1)')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (exit 1)');
}

/** Prints the result; with --wait follows the rollout and sets the exit code. */
async function finish(client: ApiClient, service: string, status: RolloutStatus, flags: CommonFlags): Promise<void> {
  if (!flags.wait) {
    console.log(flags.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    return;
  }
  // deploy/undo/retry name the revision they started; promote follows the rollout in progress.
  const revision = status.rolloutRevision ?? status.canaryRevision?.number ?? status.stableRevision?.number;
  if (revision === undefined) throw new BadRequestError(`${service} has no revision to wait for`);
  const { outcome, status: end } = await waitForRollout(client, service, revision, {
    timeoutMs: flags.timeout ? Number(flags.timeout) * 1000 : undefined,
    onChange: (s) => flags.json || console.log(`${new Date().toISOString()}  ${summary(s)}`),
  });
  console.log(flags.json ? JSON.stringify({ outcome, status: end }, null, 2) : `rollout of ${service} revision #${revision}: ${outcome}`);
  if (outcome !== 'completed') process.exitCode = 1;
}

export function registerRolloutCommands(program: Command): void {
  withWait(
    withClientFlags(
      program
        .command('deploy <service>')
        .description('roll out a new revision of a service')
        .requiredOption('--version <label>', 'version label of the new revision, e.g. v2')
        .option('--run <command>', 'command for one instance (default: the current one)')
        .option('--cwd <dir>', 'working directory (default: the current one)')
        .option('--env <KEY=VALUE>', 'environment variable for the new revision (repeatable)', collectEnv, {})
        .option('--strategy <name>', 'rolling, blueGreen, canary, shadow or experiment (default: from config)')
        .option('--migration <file>', 'PostgreSQL migration to start before, complete after the rollout')
        .option('--image <ref>', 'image of the new revision (docker runtime), e.g. shop/web:1.4.3; pulled if missing, recorded by digest')
        .option('--dry-run', 'print the transitions the rollout would go through, and change nothing')
        .option('--show-secrets', 'with --dry-run --json: env values as they are, not masked (keys and a short hash)'),
    ),
  ).action(async (service: string, flags: CommonFlags & Record<string, unknown>) => {
    const client = await ApiClient.fromOptions(flags);
    const env = flags.env as Record<string, string>;
    const body: DeployRequest = {
      version: flags.version as string,
      ...(flags.run ? { run: flags.run as string } : {}),
      ...(flags.cwd ? { cwd: flags.cwd as string } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(flags.strategy ? { strategy: flags.strategy as DeployRequest['strategy'] } : {}),
      ...(flags.migration ? { migration: flags.migration as string } : {}),
      ...(flags.image ? { image: flags.image as string } : {}),
    };
    const path = `/api/v1/services/${encodeURIComponent(service)}/deploy`;
    if (flags.dryRun) {
      const plan = await client.call<{ revision: { number: number; version: string }; steps: PlannedTransition[] }>('POST', `${path}?dryRun=true${flags.showSecrets ? '&showSecrets=true' : ''}`, body);
      console.log(flags.json ? JSON.stringify(plan, null, 2) : formatPlan(plan.revision, plan.steps));
      return;
    }
    const status = await client.call<RolloutStatus>('POST', path, body);
    await finish(client, service, status, flags);
  });

  withWait(withClientFlags(program.command('promote <service>').description('skip the current pause (--full: all remaining steps)')))
    .option('--full', 'skip every remaining step and analysis')
    .option('--variant <name>', 'experiment: the variant that becomes stable (the other is removed)')
    .action(async (service: string, flags: CommonFlags & { full?: boolean; variant?: string }) => {
      const client = await ApiClient.fromOptions(flags);
      const body = { full: !!flags.full, ...(flags.variant ? { variant: flags.variant } : {}) };
      const status = await client.call<RolloutStatus>('POST', `/api/v1/services/${encodeURIComponent(service)}/promote`, body);
      await finish(client, service, status, flags);
    });

  withWait(withClientFlags(program.command('undo <service>').description('roll back to the previous (or a given) revision')))
    .option('--to-revision <n>', 'revision number to go back to (see `cutover history`)')
    .action(async (service: string, flags: CommonFlags & { toRevision?: string }) => {
      const client = await ApiClient.fromOptions(flags);
      const body = flags.toRevision ? { toRevision: Number(flags.toRevision) } : {};
      const status = await client.call<RolloutStatus>('POST', `/api/v1/services/${encodeURIComponent(service)}/undo`, body);
      await finish(client, service, status, flags);
    });

  const verbs: Array<[string, string]> = [
    ['abort', 'send all traffic back to the stable revision and scale the new one down'],
    ['retry', 'restart an aborted or failed rollout from its first step'],
    ['pause', 'hold the rollout where it is'],
    ['resume', 'continue a rollout held by pause'],
  ];
  for (const [verb, description] of verbs) {
    const cmd = withClientFlags(program.command(`${verb} <service>`).description(description));
    (verb === 'retry' ? withWait(cmd) : cmd).action(async (service: string, flags: CommonFlags) => {
      const client = await ApiClient.fromOptions(flags);
      const status = await client.call<RolloutStatus>('POST', `/api/v1/services/${encodeURIComponent(service)}/${verb}`);
      await finish(client, service, status, flags);
    });
  }
}
