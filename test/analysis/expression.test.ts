import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, ExpressionError } from '../../src/shared/expression.ts';
import { judgeResult } from '../../src/analysis/conditions.ts';

describe('condition expressions', () => {
  const rows: { src: string; result: unknown; want: unknown }[] = [
    { src: 'result >= 0.99', result: 0.995, want: true },
    { src: 'result >= 0.99', result: 0.98, want: false },
    { src: 'result < 0.3', result: 0.3, want: false },
    { src: 'result == 1', result: 1, want: true },
    { src: 'result != "down"', result: 'up', want: true },
    { src: 'result[0] > 0.5', result: [0.7, 0.1], want: true },
    { src: 'result[-1]', result: [1, 2, 3], want: 3 },
    { src: 'len(result) == 0 || result[0] < 10', result: [], want: true },
    { src: 'len(result) > 0 && result[0] < 10', result: [12], want: false },
    { src: '!(result > 5)', result: 3, want: true },
    { src: 'not result', result: false, want: true },
    { src: 'result > 1 and result < 3 or result == 10', result: 10, want: true },
    { src: '1 + 2 * 3 == 7', result: null, want: true },
    { src: '(1 + 2) * 3', result: null, want: 9 },
    { src: '-result + 10 % 4', result: 1, want: 1 },
    { src: 'result / 1000 < 0.3', result: 250, want: true },
    { src: 'result.data.ok == true', result: { data: { ok: true } }, want: true },
    { src: "result['a'] == 'x'", result: { a: 'x' }, want: true },
    { src: 'default(result, 0) < 1', result: null, want: true },
    { src: 'isNaN(result)', result: Number.NaN, want: true },
    { src: 'abs(result) <= max(1, 2)', result: -2, want: true },
    { src: '1e3 == 1000 && .5 == 0.5', result: null, want: true },
    { src: '"a" + "b" == "ab"', result: null, want: true },
  ];
  for (const r of rows) {
    test(`${r.src} with result ${JSON.stringify(r.result)}`, () => {
      assert.deepEqual(compileExpression(r.src).evaluate({ result: r.result }), r.want);
    });
  }

  const bad: { src: string; error: RegExp }[] = [
    { src: 'result >=', error: /ends too early at column 10/ },
    { src: 'result > 0.9 )', error: /unexpected "\)" at column 14/ },
    { src: 'results > 1', error: /unknown name "results"/ },
    { src: 'process.exit(1)', error: /unknown name "process"/ },
    { src: 'eval("1")', error: /unknown function "eval"/ },
    { src: 'len(result, 2)', error: /len\(\) takes 1 argument/ },
    { src: 'result = 1', error: /unexpected "=" at column 8/ },
    { src: '"open', error: /unterminated string/ },
    { src: 'result[0', error: /expected "\]"/ },
    { src: 'result > 1;', error: /unexpected ";"/ },
  ];
  for (const b of bad) {
    test(`rejected at compile time: ${b.src}`, () => {
      assert.throws(() => compileExpression(b.src), (err: Error) => err instanceof ExpressionError && b.error.test(err.message));
    });
  }

  const runtime: { src: string; result: unknown; error: RegExp }[] = [
    { src: 'result[0] < 1', result: [], error: /out of range \(the list has 0 item/ },
    { src: 'result < 1', result: 'x', error: /cannot compare "x" < 1/ },
    { src: 'result && true', result: 1, error: /needs true or false, got 1/ },
    { src: 'len(result) > 0', result: 5, error: /len\(\) needs a list/ },
  ];
  for (const r of runtime) {
    test(`type error while evaluating: ${r.src} on ${JSON.stringify(r.result)}`, () => {
      assert.throws(() => compileExpression(r.src).evaluate({ result: r.result }), (err: Error) => err instanceof ExpressionError && r.error.test(err.message));
    });
  }
});

describe("Argo's reading of success and failure conditions", () => {
  const rows: { name: string; sc?: string; fc?: string; result: unknown; phase: string }[] = [
    { name: 'no condition is Successful', result: 0, phase: 'Successful' },
    { name: 'success only, met', sc: 'result > 1', result: 2, phase: 'Successful' },
    { name: 'success only, not met is Failed', sc: 'result > 1', result: 0, phase: 'Failed' },
    { name: 'failure only, met', fc: 'result > 1', result: 2, phase: 'Failed' },
    { name: 'failure only, not met is Successful', fc: 'result > 1', result: 0, phase: 'Successful' },
    { name: 'both: neither met is Inconclusive', sc: 'result > 10', fc: 'result < 1', result: 5, phase: 'Inconclusive' },
    { name: 'both: failure wins', sc: 'result > 0', fc: 'result > 1', result: 5, phase: 'Failed' },
    { name: 'both: success', sc: 'result > 10', fc: 'result < 1', result: 50, phase: 'Successful' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      assert.equal(judgeResult(r.result, { successCondition: r.sc, failureCondition: r.fc }).phase, r.phase);
    });
  }
  test('a condition that does not give true or false throws (an Error measurement)', () => {
    assert.throws(() => judgeResult(3, { successCondition: 'result + 1' }), /gave 4, not true or false/);
  });
});
