/** Request bodies and queries are validated with zod; a mismatch is a 400 naming the first bad field. */
import type { z } from 'zod';
import { BadRequestError } from '../errors.ts';

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const path = first.path.join('.') || '(body)';
  throw new BadRequestError(`${path}: ${first.message}`, 'see docs/api.md for the request shape');
}
