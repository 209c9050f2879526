/** A JSON request body (or query), checked against its zod schema. */
import type { z } from 'zod';
import { BadRequestError } from '../errors.ts';

/**
 * The parsed value, or a BadRequestError (400) naming the first problem's
 * path. An absent body counts as `{}`, so a route whose fields are all
 * optional accepts a request without one. `reference` is where the request
 * shapes are described.
 */
export function parseBody<T extends z.ZodType>(schema: T, input: unknown, reference = 'docs/api.md'): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const path = first.path.map(String).join('.') || '(body)';
  throw new BadRequestError(`${path}: ${first.message}`, `see ${reference} for the request shape`);
}
