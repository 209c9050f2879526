/**
 * `strategy.experiment`: an A/B test between the stable and the new revision on real users. Each user is put in a
 * variant by a hash of a sticky key (cookie or header), so they stay in it across requests, instances and restarts;
 * the proxy counts users, requests and goal conversions per variant.
 */
import { z } from 'zod';
import { duration } from '../shared/duration.ts';

const variantName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a variant name: lowercase letters, digits, - and _');
const statusClass = z.enum(['1xx', '2xx', '3xx', '4xx', '5xx']);

export const goalSchema = z
  .object({
    name: variantName.describe('Goal name shown in the report'),
    request: z
      .object({
        method: z.string().regex(/^[A-Z]+$/).optional().describe('Any method when missing'),
        path: z.string().startsWith('/', 'a path starts with /').describe('Exact path, or a prefix ending in *'),
        status: z.union([statusClass, z.number().int().min(100).max(599)]).default('2xx'),
      })
      .strict(),
  })
  .strict();

export const experimentSchema = z
  .object({
    variants: z
      .record(variantName, z.enum(['stable', 'new']))
      .default({ a: 'stable', b: 'new' })
      .refine((v) => Object.values(v).filter((x) => x === 'stable').length === 1 && Object.values(v).filter((x) => x === 'new').length === 1, 'name exactly two variants, one `stable` and one `new`'),
    split: z.number().min(0).max(100).default(50).describe('Percent of users in the `new` variant'),
    stickyBy: z
      .object({ cookie: z.string().min(1).optional(), header: z.string().min(1).optional() })
      .strict()
      .refine((s) => (s.cookie === undefined) !== (s.header === undefined), 'set exactly one of cookie or header')
      .default({ cookie: 'cutover_uid' })
      .describe('The user key; with a cookie, a user without one gets a generated id in that cookie'),
    duration: duration.optional().describe('How long the experiment runs before it waits for a decision'),
    goals: z.array(goalSchema).default([]),
  })
  .strict();
