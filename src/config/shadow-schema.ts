/**
 * `strategy.shadow`: the new revision runs beside stable and gets copies of live requests; users only ever get
 * stable's answers. The shadow's answers are compared with stable's, and the rollout passes (promotes, or goes on
 * as `then`) or fails on the share that differ.
 */
import { z } from 'zod';
import { byteSize } from '../shared/byte-size.ts';
import { duration } from '../shared/duration.ts';
import { compileJsonPath, JsonPathError } from '../shared/json-path.ts';

const method = z.string().regex(/^[A-Z]+$/, 'an HTTP method in upper case, e.g. GET');

const jsonPath = z.string().superRefine((p, ctx) => {
  try {
    compileJsonPath(p);
  } catch (err) {
    if (!(err instanceof JsonPathError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/** Methods that are safe to run twice; anything else mirrored runs its side effect on the shadow too. */
export const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

export const shadowSchema = z
  .object({
    percent: z.number().min(0).max(100).default(100).describe('Share of live requests copied to the new revision'),
    duration: duration.optional().describe('How long the shadow runs before it is judged; without it the rollout waits for `cutover promote`'),
    methods: z.array(method).min(1).default(['GET', 'HEAD']).describe('Methods copied; writes would run twice, so only safe methods by default'),
    maxInFlight: z.number().int().min(1).max(10_000).default(64).describe('Copies in flight at most; more are dropped and counted, never queued'),
    minCompared: z.number().int().min(0).default(20).describe('Compared requests needed before the shadow can pass or fail'),
    compare: z
      .object({
        ignoreHeaders: z.array(z.string().min(1)).default([]).describe('Response headers not compared (date, x-request-id, set-cookie and framing never are)'),
        ignoreJsonPaths: z.array(jsonPath).default([]).describe('JSON values not compared, e.g. $.timestamp, $.items[*].id'),
        maxDiffRate: z.number().min(0).max(1).default(0.01).describe('Share of compared requests whose answers may differ'),
        maxBodyBytes: byteSize.default(1024 * 1024).describe('Bodies are compared up to this size'),
      })
      .strict()
      .default({ ignoreHeaders: [], ignoreJsonPaths: [], maxDiffRate: 0.01, maxBodyBytes: 1024 * 1024 }),
    then: z.enum(['canary', 'blueGreen', 'rolling']).optional().describe('When the shadow passes, go on with this strategy (its block may be set beside shadow) instead of switching all traffic at once'),
  })
  .strict();
