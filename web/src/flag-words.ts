/** Flags in words: what each strategy does, the rollout percentage the `rollout` edit changes, what a change did. */
import type { Constraint, FeatureDefinition, FlagEvent, StrategyDefinition, VariantDefinition } from './api.ts';

const OPERATOR_WORDS: Record<string, string> = {
  IN: 'is one of',
  NOT_IN: 'is not one of',
  STR_STARTS_WITH: 'starts with',
  STR_ENDS_WITH: 'ends with',
  STR_CONTAINS: 'contains',
  NUM_EQ: '=',
  NUM_GT: '>',
  NUM_GTE: '≥',
  NUM_LT: '<',
  NUM_LTE: '≤',
  DATE_AFTER: 'is after',
  DATE_BEFORE: 'is before',
  SEMVER_EQ: '= (semver)',
  SEMVER_GT: '> (semver)',
  SEMVER_GTE: '≥ (semver)',
  SEMVER_LT: '< (semver)',
  SEMVER_LTE: '≤ (semver)',
  REGEX: 'matches',
  IN_CIDR: 'is in',
};

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .join(', ') || 'none';

export function constraintWords(c: Constraint): string {
  const op = OPERATOR_WORDS[c.operator] ?? c.operator;
  const values = c.values?.length ? c.values.join(', ') : (c.value ?? '');
  return `${c.inverted ? 'not: ' : ''}${c.contextName} ${op} ${values}${c.caseInsensitive ? ' (any case)' : ''}`;
}

function variantsWords(variants: VariantDefinition[]): string {
  const total = variants.reduce((n, v) => n + v.weight, 0) || 1;
  return variants.map((v) => `${v.name} ${Math.round((v.weight / total) * 1000) / 10}%`).join(', ');
}

/** Who a strategy turns the flag on for, in a sentence. */
export function strategyWords(s: StrategyDefinition, flag: string): string {
  const p = s.parameters ?? {};
  let who: string;
  switch (s.name) {
    case 'default':
      who = 'everyone';
      break;
    case 'flexibleRollout': {
      const sticky = p.stickiness && p.stickiness !== 'default' ? `, sticky on ${p.stickiness}` : '';
      const group = p.groupId && p.groupId !== flag ? `, group ${p.groupId}` : '';
      who = `${p.rollout ?? '100'}% of users${sticky}${group}`;
      break;
    }
    case 'userWithId':
      who = `users ${list(p.userIds)}`;
      break;
    case 'gradualRolloutUserId':
      who = `${p.percentage ?? '0'}% of users by user id`;
      break;
    case 'gradualRolloutSessionId':
      who = `${p.percentage ?? '0'}% of sessions`;
      break;
    case 'gradualRolloutRandom':
      who = `${p.percentage ?? '0'}% of requests, at random`;
      break;
    case 'remoteAddress':
      who = `requests from ${list(p.IPs)}`;
      break;
    case 'applicationHostname':
      who = `hosts ${list(p.hostNames)}`;
      break;
    default:
      who = `custom strategy "${s.name}" (off where the SDK does not know it)`;
  }
  const parts = [`${s.title ? `${s.title}: ` : ''}${who}`];
  if (s.constraints?.length) parts.push(`when ${s.constraints.map(constraintWords).join(' and ')}`);
  if (s.segments?.length) parts.push(`in segment${s.segments.length > 1 ? 's' : ''} ${s.segments.join(', ')}`);
  if (s.variants?.length) parts.push(`variants ${variantsWords(s.variants)}`);
  return `${s.disabled ? '(switched off) ' : ''}${parts.join('; ')}`;
}

/** The flag-level parts in words: variants and the flags it depends on. */
export function flagExtrasWords(f: FeatureDefinition): string[] {
  const out: string[] = [];
  if (f.variants?.length) out.push(`Variants: ${variantsWords(f.variants)}`);
  for (const d of f.dependencies ?? []) {
    out.push(`Needs flag ${d.feature} ${d.enabled === false ? 'off' : 'on'}${d.variants?.length ? ` with variant ${d.variants.join(' or ')}` : ''}`);
  }
  return out;
}

/** The percentage the `rollout` edit would change: a flag's only flexibleRollout's; undefined otherwise. */
export function rolloutPercent(f: FeatureDefinition): number | undefined {
  const flexible = f.strategies.filter((s) => s.name === 'flexibleRollout');
  if (flexible.length !== 1) return undefined;
  const n = Number(flexible[0]!.parameters?.rollout ?? 100);
  return Number.isFinite(n) ? n : undefined;
}

/** What setting a rollout does to this flag (the API's rule, src/flags/edits.ts), or why it cannot. */
export function rolloutHint(f: FeatureDefinition): { ok: boolean; text: string } {
  if (f.strategies.every((s) => s.name === 'default' && !s.constraints?.length && !s.segments?.length)) {
    return { ok: true, text: f.strategies.length ? 'Setting a percentage replaces its default strategy with a percentage rollout.' : 'Setting a percentage adds a percentage rollout.' };
  }
  if (rolloutPercent(f) !== undefined) return { ok: true, text: 'Changes the percentage of its rollout strategy; its constraints stay.' };
  return { ok: false, text: 'Its strategies have no single percentage rollout to change: the API will refuse; edit them with `cutover flags set`.' };
}

function canonical(x: unknown): string {
  return JSON.stringify(x ?? null);
}

/** What one change event did, in a few words. */
export function changeWords(e: FlagEvent): string {
  const before = e.before as FeatureDefinition | null;
  const after = e.after as FeatureDefinition | null;
  if (e.kind === 'segment') return `segment ${e.type}`;
  if (!before && after) return `created, ${after.enabled ? 'on' : 'off'}`;
  if (before && !after) return 'deleted';
  if (!before || !after) return e.type;
  const out: string[] = [];
  if (before.enabled !== after.enabled) out.push(after.enabled ? 'turned on' : 'turned off');
  const from = rolloutPercent(before);
  const to = rolloutPercent(after);
  if (to !== undefined && from !== to) out.push(from === undefined ? `rollout set to ${to}%` : `rollout ${from}% → ${to}%`);
  else if (canonical(before.strategies) !== canonical(after.strategies)) out.push('strategies changed');
  if (canonical(before.variants) !== canonical(after.variants)) out.push('variants changed');
  if (canonical(before.dependencies) !== canonical(after.dependencies)) out.push('dependencies changed');
  const rest = (f: FeatureDefinition) => canonical({ ...f, enabled: 0, strategies: 0, variants: 0, dependencies: 0 });
  if (rest(before) !== rest(after)) out.push('details changed');
  return out.join(', ') || 'updated';
}
