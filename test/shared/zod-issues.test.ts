// zod issues as ConfigIssues: path, value found, and a hint pointing at the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { zodIssues } from '../../src/shared/zod-issues.ts';

const schema = z.strictObject({
  name: z.string(),
  port: z.number(),
  mode: z.union([z.literal('a'), z.object({ b: z.number() })]).optional(),
  items: z.array(z.strictObject({ n: z.number() })).optional(),
});

function issues(input: unknown, reference?: string) {
  const r = schema.safeParse(input);
  assert.equal(r.success, false);
  return new Map(zodIssues(r.error!, input, reference).map((i) => [i.path, i]));
}

test('each issue names its path, the value found and a hint', () => {
  const byPath = issues({ port: 'http', colour: 1, mode: 3, items: [{ n: 'x' }] });
  assert.deepEqual(byPath.get('name'), { path: 'name', message: byPath.get('name')!.message, hint: 'this field is required' });
  assert.equal(byPath.get('port')!.value, 'http');
  assert.equal(byPath.get('port')!.hint, 'expected number');
  assert.equal(byPath.get('items.0.n')!.value, 'x');
  assert.match(byPath.get('')!.hint!, /remove colour or check the spelling \(see `cutover schema`\)/);
  assert.match(byPath.get('mode')!.hint!, /see `cutover schema` for the accepted shapes/);
});

test('the hint says where to look, as given', () => {
  assert.match(issues({ name: 'x', port: 1, extra: true }, 'see docs/proxy.md').get('')!.hint!, /see docs\/proxy\.md/);
});
