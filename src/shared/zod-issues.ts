/** Zod issues turned into ones a person can act on: the path, the value found and a hint. */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';

/** `where` says where the accepted fields are described, e.g. "see `cutover schema`". */
export function zodIssues(error: z.ZodError, input: unknown, where = 'see `cutover schema`'): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const value = valueAt(input, issue.path as PropertyKey[]);
    let hint: string | undefined;
    if (issue.code === 'unrecognized_keys') hint = `remove ${issue.keys.join(', ')} or check the spelling (${where})`;
    else if (issue.code === 'invalid_type' && value === undefined) hint = 'this field is required';
    else if (issue.code === 'invalid_type') hint = `expected ${issue.expected}`;
    else if (issue.code === 'invalid_union') hint = `${where} for the accepted shapes`;
    return { path, message: issue.message, ...(value !== undefined ? { value } : {}), ...(hint ? { hint } : {}) };
  });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
