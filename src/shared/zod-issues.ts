/** zod's validation issues, turned into ConfigIssues a person can act on. */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';

/**
 * One ConfigIssue per zod issue: the dotted path, zod's message, the value
 * found there (when there is one) and a hint. `reference` is where the
 * accepted fields are described (`cutover schema` for cutover.yaml,
 * docs/proxy.md for the proxy's files).
 */
export function zodIssues(error: z.ZodError, input: unknown, reference = '`cutover schema`'): ConfigIssue[] {
  return error.issues.map((issue) => {
    const value = valueAt(input, issue.path);
    const hint = hintFor(issue, value, reference);
    return { path: issue.path.map(String).join('.'), message: issue.message, ...(value !== undefined ? { value } : {}), ...(hint ? { hint } : {}) };
  });
}

function hintFor(issue: z.core.$ZodIssue, value: unknown, reference: string): string | undefined {
  if (issue.code === 'unrecognized_keys') return `remove ${issue.keys.join(', ')} or check the spelling (see ${reference})`;
  if (issue.code === 'invalid_type') return value === undefined ? 'this field is required' : `expected ${issue.expected}`;
  if (issue.code === 'invalid_union') return `see ${reference} for the accepted shapes`;
  return undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
