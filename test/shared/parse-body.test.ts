// One way to check a JSON request body: the value, or a 400 naming the first problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { BadRequestError } from '../../src/errors.ts';
import { parseBody } from '../../src/shared/parse-body.ts';

const schema = z.strictObject({ full: z.boolean().optional(), ready: z.object({ n: z.number() }).optional() });

test('a valid body is returned parsed; an absent one counts as {}', () => {
  assert.deepEqual(parseBody(schema, { full: true }), { full: true });
  assert.deepEqual(parseBody(schema, undefined), {});
  assert.deepEqual(parseBody(schema, null), {});
});

test('a bad body is a 400 naming the path and the reference', () => {
  assert.throws(() => parseBody(schema, { ready: { n: 'x' } }, 'docs/proxy.md'), (e: unknown) => {
    assert.ok(e instanceof BadRequestError);
    assert.equal(e.status, 400);
    assert.match(e.message, /^ready\.n: /);
    assert.equal(e.hint, 'see docs/proxy.md for the request shape');
    return true;
  });
  assert.throws(() => parseBody(schema, 'text'), (e: unknown) => e instanceof BadRequestError && /^\(body\): /.test(e.message) && /docs\/api\.md/.test(e.hint ?? ''));
});
