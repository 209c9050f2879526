import type { z } from 'zod';
import { BadRequestError } from '../errors.ts';

/** Validates a body (or query) with zod; the first problem becomes a 400 that names the field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const path = first.path.join('.') || '(body)';
  throw new BadRequestError(`${path}: ${first.message}`, 'see docs/api.md for the request shape');
}
