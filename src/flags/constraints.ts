/**
 * Constraints compiled into predicates, with the semantics of Unleash's SDKs:
 * list operators ignore empty values and trim the rest; a missing context
 * value fails every operator (so an inverted one passes); an unknown operator
 * fails even when inverted; a value that does not parse (a number, a date, a
 * version, a regular expression) fails instead of throwing. Regular
 * expressions are RE2's (re2js, as Unleash's SDK uses), so look-arounds and
 * back-references are refused and POSIX classes and inline flags work.
 */
import { Address4, Address6 } from 'ip-address';
import { RE2JS } from 're2js';
import semver from 'semver';
import { contextValue, type FlagContext } from './context.ts';
import type { Constraint } from './model.ts';

export type Check = (ctx: FlagContext) => boolean;

const never: Check = () => false;

/** `values` as the SDKs read them: empty ones dropped, the rest trimmed. */
function cleanValues(values: unknown): string[] {
  return Array.isArray(values) ? values.filter((v) => !!v).map((v) => String(v).trim()) : [];
}

type Compile = (c: Constraint) => Check;

const inList: Compile = (c) => {
  const field = c.contextName;
  const set = new Set(cleanValues(c.values));
  const wantIn = c.operator === 'IN';
  return (ctx) => {
    const v = contextValue(ctx, field);
    return (v !== undefined && set.has(v)) === wantIn;
  };
};

const stringOp: Compile = (c) => {
  const field = c.contextName;
  const ci = !!c.caseInsensitive;
  const values = cleanValues(c.values).map((v) => (ci ? v.toLocaleLowerCase() : v));
  const test: (v: string, s: string) => boolean =
    c.operator === 'STR_STARTS_WITH' ? (v, s) => v.startsWith(s) : c.operator === 'STR_ENDS_WITH' ? (v, s) => v.endsWith(s) : (v, s) => v.includes(s);
  return (ctx) => {
    let v = contextValue(ctx, field);
    if (v === undefined) return false;
    if (ci) v = v.toLocaleLowerCase();
    for (const s of values) if (test(v, s)) return true;
    return false;
  };
};

const numberOp: Compile = (c) => {
  const field = c.contextName;
  const want = Number(c.value);
  if (Number.isNaN(want)) return never;
  const cmp: (a: number) => boolean =
    c.operator === 'NUM_EQ' ? (a) => a === want : c.operator === 'NUM_GT' ? (a) => a > want : c.operator === 'NUM_GTE' ? (a) => a >= want : c.operator === 'NUM_LT' ? (a) => a < want : (a) => a <= want;
  return (ctx) => {
    const a = Number(contextValue(ctx, field));
    return !Number.isNaN(a) && cmp(a);
  };
};

const dateOp: Compile = (c) => {
  // The SDKs compare against the context's currentTime (or now), whatever contextName says.
  const at = new Date(c.value as string).getTime();
  const after = c.operator === 'DATE_AFTER';
  return (ctx) => {
    const now = ctx.currentTime ? new Date(ctx.currentTime as string).getTime() : Date.now();
    return after ? now > at : now < at;
  };
};

const semverOp: Compile = (c) => {
  const field = c.contextName;
  let want: semver.SemVer;
  try {
    want = new semver.SemVer(c.value as string);
  } catch {
    return never;
  }
  const op = c.operator;
  return (ctx) => {
    const v = contextValue(ctx, field);
    // A leading "v" is not a version here, though the semver package would accept it.
    if (!v || !semver.valid(v) || v.startsWith('v')) return false;
    const order = semver.compare(v, want);
    return op === 'SEMVER_EQ' ? order === 0 : op === 'SEMVER_GT' ? order > 0 : op === 'SEMVER_GTE' ? order >= 0 : op === 'SEMVER_LT' ? order < 0 : order <= 0;
  };
};

const regexOp: Compile = (c) => {
  const field = c.contextName;
  let re: RE2JS;
  try {
    re = RE2JS.compile(String(c.value), c.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch {
    return never;
  }
  return (ctx) => {
    const v = contextValue(ctx, field);
    return v !== undefined && re.matcher(v).find();
  };
};

const cidrOp: Compile = (c) => {
  const field = c.contextName;
  const v4: Address4[] = [];
  const v6: Address6[] = [];
  for (const range of cleanValues(c.values)) {
    if (Address4.isValid(range)) v4.push(new Address4(range));
    if (Address6.isValid(range)) v6.push(new Address6(range));
  }
  const within = <A extends Address4 | Address6>(addr: A, ranges: A[]) =>
    ranges.some((r) => addr.correctForm() === r.correctForm() || addr.isInSubnet(r as never));
  return (ctx) => {
    const v = contextValue(ctx, field);
    if (v === undefined) return false;
    if (Address4.isValid(v)) return within(new Address4(v), v4);
    if (Address6.isValid(v)) return within(new Address6(v), v6);
    return false;
  };
};

const compilers: Record<string, Compile> = {
  IN: inList,
  NOT_IN: inList,
  STR_STARTS_WITH: stringOp,
  STR_ENDS_WITH: stringOp,
  STR_CONTAINS: stringOp,
  NUM_EQ: numberOp,
  NUM_GT: numberOp,
  NUM_GTE: numberOp,
  NUM_LT: numberOp,
  NUM_LTE: numberOp,
  DATE_AFTER: dateOp,
  DATE_BEFORE: dateOp,
  SEMVER_EQ: semverOp,
  SEMVER_GT: semverOp,
  SEMVER_GTE: semverOp,
  SEMVER_LT: semverOp,
  SEMVER_LTE: semverOp,
  REGEX: regexOp,
  IN_CIDR: cidrOp,
};

/** One constraint as a predicate. A missing constraint (a segment that does not exist) never passes. */
export function compileConstraint(c: Constraint | null | undefined): Check {
  if (!c) return never;
  const compile = Object.hasOwn(compilers, c.operator) ? compilers[c.operator] : undefined;
  if (!compile) return never;
  const check = compile(c);
  return c.inverted ? (ctx) => !check(ctx) : check;
}

/** All of them must pass (none: always). */
export function compileConstraints(list: (Constraint | null | undefined)[]): Check | null {
  const checks = list.map(compileConstraint);
  if (checks.length === 0) return null;
  if (checks.length === 1) return checks[0]!;
  return (ctx) => {
    for (const check of checks) if (!check(ctx)) return false;
    return true;
  };
}
