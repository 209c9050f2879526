/**
 * Argo Rollouts' reading of successCondition and failureCondition for one
 * result: with neither, Successful; with only one, the other is its negation;
 * a true failureCondition is Failed; neither true is Inconclusive. Pure; an
 * expression that cannot be evaluated on this result (a type mismatch, an
 * empty list) throws, and the caller records an Error measurement.
 */
import type { MetricConfig } from '../config/analysis-schema.ts';
import { compileExpression, type Expression } from '../shared/expression.ts';
import type { Verdict } from '../store/records.ts';

const cache = new Map<string, Expression>();

function compiled(source: string): Expression {
  let e = cache.get(source);
  if (!e) {
    e = compileExpression(source);
    if (cache.size > 1000) cache.clear();
    cache.set(source, e);
  }
  return e;
}

/**
 * @example judgeResult(0.97, { successCondition: 'result >= 0.99' }) // { phase: 'Failed', message: 'successCondition "result >= 0.99" not met' }
 */
export function judgeResult(result: unknown, metric: Pick<MetricConfig, 'successCondition' | 'failureCondition'>): { phase: Verdict; message: string } {
  const { successCondition: sc, failureCondition: fc } = metric;
  if (sc === undefined && fc === undefined) return { phase: 'Successful', message: 'no condition' };
  let success = sc === undefined ? undefined : truth(sc, result);
  let failure = fc === undefined ? undefined : truth(fc, result);
  if (failure === undefined) failure = !success;
  if (success === undefined) success = !failure;
  if (failure) return { phase: 'Failed', message: fc !== undefined && truth(fc, result) ? `failureCondition "${fc}" met` : `successCondition "${sc}" not met` };
  if (!success) return { phase: 'Inconclusive', message: `neither successCondition "${sc}" nor failureCondition "${fc}" met` };
  return { phase: 'Successful', message: sc !== undefined ? `successCondition "${sc}" met` : `failureCondition "${fc}" not met` };
}

function truth(source: string, result: unknown): boolean {
  const v = compiled(source).evaluate({ result });
  if (typeof v !== 'boolean') throw new Error(`condition "${source}" gave ${JSON.stringify(v)}, not true or false`);
  return v;
}
