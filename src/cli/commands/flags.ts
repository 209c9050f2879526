/**
 * `cutover flags …`: list, read and change feature flags through the control
 * API (admin token), import and export Unleash features documents, print the
 * client token. Nothing heavy is imported until a command runs.
 */
import type { Command } from 'commander';
import type { ApiClient, ClientOptions } from '../client.ts';
import type { FeatureDefinition, FeaturesDocument, Segment } from '../../flags/model.ts';
import type { FlagEvent, FlagMetrics } from '../../flags/records.ts';

type Flags = ClientOptions & { json?: boolean; reason?: string };

interface ListedFlag extends FeatureDefinition {
  managedBy?: string;
  updatedAt: number;
  metrics: FlagMetrics | null;
}
interface FlagDetail {
  flag: FeatureDefinition;
  managedBy?: string;
  updatedAt: number;
  metrics: FlagMetrics | null;
  events: FlagEvent[];
}
interface ChangeAnswer {
  flag: FeatureDefinition | null;
  events: FlagEvent[];
}

function withApi(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (for the API address and token)', 'cutover.yaml')
    .option('--api <url>', 'control API URL (default from config, or CUTOVER_API)')
    .option('--token <token>', 'admin token (default from the state dir, or CUTOVER_TOKEN)')
    .option('--json', 'print JSON');
}

async function client(flags: Flags): Promise<ApiClient> {
  const { ApiClient } = await import('../client.ts');
  return ApiClient.fromOptions(flags);
}

const path = (name: string, rest = '') => `/api/v1/flags/${encodeURIComponent(name)}${rest}`;

/** Reads a YAML or JSON file ("-": standard input). */
async function readDocument(file: string): Promise<unknown> {
  const [{ readFileSync }, { parse }, { BadRequestError }] = await Promise.all([import('node:fs'), import('yaml'), import('../../errors.ts')]);
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new BadRequestError(`cannot read ${file}: ${(err as Error).message}`, 'pass the path of a JSON or YAML file');
  }
  try {
    return parse(text);
  } catch (err) {
    throw new BadRequestError(`${file} is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function strategiesText(f: FeatureDefinition): string {
  if (!f.strategies.length) return f.enabled ? 'everyone' : '-';
  return f.strategies
    .map((s) => {
      const p = s.parameters ?? {};
      const what = s.name === 'flexibleRollout' ? `${p.rollout}%` : s.name === 'userWithId' ? p.userIds : s.name.startsWith('gradualRollout') ? `${p.percentage}%` : '';
      const n = (s.constraints?.length ?? 0) + (s.segments?.length ?? 0);
      return `${s.name}${what ? ` ${what}` : ''}${n ? ` (+${n} constraint${n > 1 ? 's' : ''})` : ''}${s.disabled ? ' [off]' : ''}`;
    })
    .join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function eventLine(e: FlagEvent): string {
  return `${new Date(e.time).toISOString()}  ${e.kind === 'segment' ? `segment ${e.name}` : e.name}  ${e.type} by ${e.actor}${e.reason ? ` (${e.reason})` : ''}`;
}

function printChange(answer: ChangeAnswer, flags: Flags, name: string): void {
  if (flags.json) return console.log(JSON.stringify(answer, null, 2));
  if (!answer.events.length) return console.log(`${name}: unchanged`);
  const f = answer.flag;
  console.log(f ? `${name}: ${f.enabled ? 'enabled' : 'disabled'}; ${strategiesText(f)}` : `${name}: deleted`);
}

export function registerFlagsCommand(program: Command): void {
  const flagsCmd = program.command('flags').description('feature flags: Unleash-compatible, evaluated by SDKs, OFREP and the OpenFeature provider (docs/flags.md)');

  withApi(flagsCmd.command('list').description('every flag: on/off, strategies, what SDKs reported')).action(async (flags: Flags) => {
    const list = await (await client(flags)).call<{ revision: number; flags: ListedFlag[]; segments: Segment[] }>('GET', '/api/v1/flags');
    if (flags.json) return console.log(JSON.stringify(list, null, 2));
    if (!list.flags.length) return console.log('no flags (create one with `cutover flags set <flag> -f <file>` or `cutover flags import <file>`)');
    const rows = [['FLAG', 'STATE', 'STRATEGIES', 'YES', 'NO']];
    for (const f of list.flags) rows.push([f.name, f.enabled ? 'on' : 'off', strategiesText(f), String(f.metrics?.yes ?? '-'), String(f.metrics?.no ?? '-')]);
    console.log(table(rows));
  });

  withApi(flagsCmd.command('get <flag>').description('one flag: definition, SDK counts (yes/no, variants), recent changes')).action(async (name: string, flags: Flags) => {
    const d = await (await client(flags)).call<FlagDetail>('GET', path(name));
    if (flags.json) return console.log(JSON.stringify(d, null, 2));
    const m = d.metrics;
    console.log(
      [
        `Flag:        ${d.flag.name}${d.managedBy ? `  (from ${d.managedBy})` : ''}`,
        `State:       ${d.flag.enabled ? 'enabled' : 'disabled'}`,
        `Strategies:  ${strategiesText(d.flag)}`,
        `Variants:    ${d.flag.variants?.map((v) => `${v.name} ${v.weight / 10}%`).join(', ') || '-'}`,
        `Reported:    ${m ? `yes ${m.yes}, no ${m.no}${Object.keys(m.variants).length ? `; ${Object.entries(m.variants).map(([k, n]) => `${k} ${n}`).join(', ')}` : ''} (last ${new Date(m.lastSeen).toISOString()})` : 'nothing yet'}`,
        '',
        'Definition:',
        JSON.stringify(d.flag, null, 2),
        '',
        'Changes:',
        ...d.events.map(eventLine),
      ].join('\n'),
    );
  });

  for (const op of ['enable', 'disable'] as const) {
    withApi(flagsCmd.command(`${op} <flag>`).description(op === 'enable' ? 'turn a flag on (its strategies still apply)' : 'turn a flag off for everyone'))
      .option('--reason <text>', 'recorded with the change')
      .action(async (name: string, flags: Flags) => {
        printChange(await (await client(flags)).call<ChangeAnswer>('POST', path(name, `/${op}`), { reason: flags.reason }), flags, name);
      });
  }

  withApi(flagsCmd.command('rollout <flag> <percent>').description('on for this percentage of users (flexibleRollout, sticky by userId/sessionId); turns the flag on'))
    .option('--reason <text>', 'recorded with the change')
    .action(async (name: string, percentText: string, flags: Flags) => {
      const percent = Number(percentText.replace(/%$/, ''));
      if (!/^\d+(\.\d+)?%?$/.test(percentText) || percent > 100) {
        const { BadRequestError } = await import('../../errors.ts');
        throw new BadRequestError(`percent must be a number from 0 to 100, not "${percentText}"`);
      }
      printChange(await (await client(flags)).call<ChangeAnswer>('POST', path(name, '/rollout'), { percent, reason: flags.reason }), flags, name);
    });

  withApi(flagsCmd.command('set <flag>').description('create or replace a flag from a JSON or YAML definition'))
    .requiredOption('-f, --file <file>', 'the definition (Unleash\'s feature shape; "-" reads standard input)')
    .option('--reason <text>', 'recorded with the change')
    .action(async (name: string, flags: Flags & { file: string }) => {
      const body = await readDocument(flags.file);
      const q = flags.reason ? `?reason=${encodeURIComponent(flags.reason)}` : '';
      printChange(await (await client(flags)).call<ChangeAnswer>('PUT', path(name) + q, body), flags, name);
    });

  withApi(flagsCmd.command('delete <flag>').description('delete a flag')).action(async (name: string, flags: Flags) => {
    printChange(await (await client(flags)).call<ChangeAnswer>('DELETE', path(name)), flags, name);
  });

  withApi(flagsCmd.command('import <file>').description('import an Unleash client-API features document ({ version, features, segments })'))
    .option('--replace', 'also delete the flags and segments the file does not have')
    .action(async (file: string, flags: Flags & { replace?: boolean }) => {
      const body = await readDocument(file);
      const answer = await (await client(flags)).call<{ revision: number; events: FlagEvent[] }>('POST', `/api/v1/flags${flags.replace ? '?replace=true' : ''}`, body);
      if (flags.json) return console.log(JSON.stringify(answer, null, 2));
      const by = (t: string) => answer.events.filter((e) => e.type === t).length;
      console.log(`imported ${file}: ${by('created')} created, ${by('updated')} updated, ${by('deleted')} deleted`);
    });

  withApi(flagsCmd.command('export').description('print every flag and segment as an Unleash features document (what `import` reads)')).action(async (flags: Flags) => {
    const doc = await (await client(flags)).call<FeaturesDocument>('GET', '/api/v1/flags?format=unleash');
    console.log(JSON.stringify(doc, null, 2));
  });

  withApi(flagsCmd.command('events [flag]').description('the change log: who changed what, when'))
    .option('-n, --limit <n>', 'how many recent changes', '50')
    .action(async (name: string | undefined, flags: Flags & { limit: string }) => {
      const q = `?limit=${Number(flags.limit)}${name ? `&name=${encodeURIComponent(name)}` : ''}`;
      const events = await (await client(flags)).call<FlagEvent[]>('GET', `/api/v1/flag-events${q}`);
      for (const e of events) console.log(flags.json ? JSON.stringify(e) : eventLine(e));
    });

  withApi(flagsCmd.command('token').description('print the read-only client token for SDKs, OFREP and the OpenFeature provider')).action(async (flags: Flags) => {
    const { token } = await (await client(flags)).call<{ token: string | null }>('GET', '/api/v1/client-token');
    console.log(flags.json ? JSON.stringify({ token }) : token ?? '');
  });
}
