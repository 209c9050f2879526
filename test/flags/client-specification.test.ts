// Unleash's client specification (@unleash/client-specification), every case of every file listed in its
// index, through Cutover's evaluator. Nothing is skipped: a case that could not apply would be listed here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { applyDelta, type DeltaEvent } from '../../src/flags/delta.ts';
import { FlagEvaluator } from '../../src/flags/evaluator.ts';
import type { FeaturesDocument } from '../../src/flags/model.ts';

const specDir = join(dirname(createRequire(import.meta.url).resolve('@unleash/client-specification/package.json')), 'specifications');
const index = JSON.parse(readFileSync(join(specDir, 'index.json'), 'utf8')) as string[];

interface Case {
  description: string;
  context: Record<string, unknown>;
  toggleName: string;
  expectedResult: unknown;
}
interface Spec {
  name: string;
  state: FeaturesDocument | { events: DeltaEvent[] };
  tests?: Case[];
  variantTests?: Case[];
}

let cases = 0;
for (const file of index) {
  const spec = JSON.parse(readFileSync(join(specDir, file), 'utf8')) as Spec;
  // Files 19 and 20 give their state as delta-API events rather than a document.
  const doc = 'events' in spec.state ? applyDelta({ version: 2, features: [] }, spec.state.events) : spec.state;
  const evaluator = new FlagEvaluator(doc);
  describe(`client specification ${spec.name}`, () => {
    for (const c of spec.tests ?? []) {
      cases++;
      test(`isEnabled: ${c.description}`, () => {
        assert.equal(evaluator.isEnabled(c.toggleName, c.context), c.expectedResult);
      });
    }
    for (const c of spec.variantTests ?? []) {
      cases++;
      test(`getVariant: ${c.description}`, () => {
        const got = evaluator.getVariant(c.toggleName, c.context) as unknown as Record<string, unknown>;
        const want = c.expectedResult as Record<string, unknown>;
        // The spec's results name the fields they fix; ours carries featureEnabled too (the SDK's newer spelling).
        const picked = Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
        assert.deepEqual(picked, want);
        if ('feature_enabled' in want) assert.equal(got.featureEnabled, want.feature_enabled);
      });
    }
  });
}

test('the specification was found and read whole', () => {
  assert.equal(index.length, 22, 'update this count when the package adds files, after reading what they test');
  assert.equal(cases, 279, 'every isEnabled and getVariant case of the 22 files');
});
