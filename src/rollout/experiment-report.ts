/**
 * The report of an A/B experiment from the proxy's counts: per variant users, requests, error rate and each goal's
 * conversion rate (converted users / users), and per goal a two-proportion z-test of the new variant against the
 * stable one with a confidence interval of the difference. Names a winner only when the difference is significant.
 * Pure.
 *
 * @example experimentReport(counts, { a: 'stable', b: 'new' }, ['checkout'])
 * // goals: [{ goal: 'checkout', diff: 0.031, ci: [0.012, 0.05], pValue: 0.001, winner: 'b' }], verdict: 'b wins on checkout ...'
 */
import type { ExperimentCounts } from '../proxy/contract.ts';

export interface VariantReport {
  name: string;
  role: 'stable' | 'new';
  revision: string;
  users: number;
  requests: number;
  errorRate: number;
  goals: Record<string, { conversions: number; rate: number }>;
}

export interface GoalComparison {
  goal: string;
  /** Conversion rates of the stable (control) and new (treatment) variants. */
  control: { variant: string; rate: number };
  treatment: { variant: string; rate: number };
  /** treatment − control, in rate units (0.031 = 3.1 points). */
  diff: number;
  /** Confidence interval of the difference at `confidence`. */
  ci: [number, number];
  pValue: number;
  /** The better variant when the difference is significant; undefined otherwise. */
  winner?: string;
}

export interface ExperimentReport {
  confidence: number;
  variants: VariantReport[];
  goals: GoalComparison[];
  /** One line for people: who wins on what, or that nothing is significant yet. */
  verdict: string;
}

export function experimentReport(counts: ExperimentCounts, roles: Record<string, 'stable' | 'new'>, goals: string[], confidence = 0.95): ExperimentReport {
  const variants: VariantReport[] = Object.entries(counts.variants).map(([name, v]) => ({
    name,
    role: roles[name] ?? 'new',
    revision: v.revision,
    users: v.users,
    requests: v.requests,
    errorRate: v.requests === 0 ? 0 : v.errors / v.requests,
    goals: Object.fromEntries(goals.map((g) => [g, { conversions: v.goals[g] ?? 0, rate: v.users === 0 ? 0 : (v.goals[g] ?? 0) / v.users }])),
  }));
  const control = variants.find((v) => v.role === 'stable');
  const treatment = variants.find((v) => v.role === 'new');
  const comparisons = control && treatment ? goals.map((g) => compareGoal(g, control, treatment, confidence)) : [];
  const wins = comparisons.filter((c) => c.winner !== undefined);
  const verdict = wins.length === 0
    ? `no significant difference yet at ${confidence * 100} % confidence`
    : wins.map((c) => `${c.winner} wins on ${c.goal} (${signedPoints(c.diff)} for ${c.treatment.variant}, CI ${signedPoints(c.ci[0])}..${signedPoints(c.ci[1])})`).join('; ');
  return { confidence, variants, goals: comparisons, verdict };
}

function compareGoal(goal: string, a: VariantReport, b: VariantReport, confidence: number): GoalComparison {
  const t = twoProportionTest(a.goals[goal]!.conversions, a.users, b.goals[goal]!.conversions, b.users, confidence);
  const out: GoalComparison = { goal, control: { variant: a.name, rate: t.p1 }, treatment: { variant: b.name, rate: t.p2 }, diff: t.diff, ci: t.ci, pValue: t.pValue };
  if (t.pValue < 1 - confidence) out.winner = t.diff > 0 ? b.name : a.name;
  return out;
}

/**
 * Two-proportion z-test (pooled standard error for the test, unpooled for the interval of p2 − p1).
 *
 * @example twoProportionTest(100, 1000, 130, 1000) // { diff: 0.03, pValue ≈ 0.033, ci ≈ [0.0025, 0.0575] }
 */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): { p1: number; p2: number; diff: number; z: number; pValue: number; ci: [number, number] } {
  const p1 = n1 === 0 ? 0 : x1 / n1;
  const p2 = n2 === 0 ? 0 : x2 / n2;
  const diff = p2 - p1;
  if (n1 === 0 || n2 === 0) return { p1, p2, diff, z: 0, pValue: 1, ci: [-1, 1] };
  const pooled = (x1 + x2) / (n1 + n2);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const z = sePooled === 0 ? 0 : diff / sePooled;
  const pValue = sePooled === 0 ? 1 : 2 * (1 - normalCdf(Math.abs(z)));
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const zc = normalQuantile(1 - (1 - confidence) / 2);
  return { p1, p2, diff, z, pValue, ci: [diff - zc * se, diff + zc * se] };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; error < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Standard normal quantile by bisection on normalCdf (precise to 1e-9, plenty for reports). */
export function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function signedPoints(rate: number): string {
  const pts = rate * 100;
  return `${pts >= 0 ? '+' : ''}${pts.toFixed(1)} pts`;
}
