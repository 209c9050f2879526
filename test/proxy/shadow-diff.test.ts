// Shadow comparison, pure parts: the JSON path subset, the response diff, and what the diff store keeps.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonPath, JsonPathError, removePath } from '../../src/shared/json-path.ts';
import { compileRules, diffResponses, firstDifference, type CapturedResponse } from '../../src/proxy/shadow/response-diff.ts';
import { DiffStore, MAX_SAMPLES } from '../../src/proxy/shadow/diff-store.ts';
import { headerList } from '../../src/proxy/shadow/response-capture.ts';

const json = (body: unknown, status = 200, extra: [string, string][] = []): CapturedResponse => ({
  status,
  headers: [['content-type', 'application/json; charset=utf-8'], ...extra],
  body: Buffer.from(JSON.stringify(body)),
  truncated: false,
});

describe('JSON paths', () => {
  const table: [string, unknown, unknown][] = [
    ['$.a', { a: 1, b: 2 }, { b: 2 }],
    ['$.a.b', { a: { b: 1, c: 2 } }, { a: { c: 2 } }],
    ["$['odd key']", { 'odd key': 1, k: 2 }, { k: 2 }],
    ['$.list[1]', { list: [1, 2, 3] }, { list: [1, null, 3] }],
    ['$.list[*].id', { list: [{ id: 1, x: 1 }, { id: 2 }] }, { list: [{ x: 1 }, {}] }],
    ['$.*', { a: 1, b: 2 }, {}],
    ['$.missing.deeper', { a: 1 }, { a: 1 }],
  ];
  for (const [path, doc, want] of table) {
    test(`${path} removes what it names`, () => {
      const copy = structuredClone(doc);
      removePath(copy, compileJsonPath(path));
      assert.deepEqual(copy, want);
    });
  }
  test('a path that does not parse is refused with what is supported', () => {
    for (const bad of ['a.b', '$', '$.', '$[', '$[x]', '$..a']) {
      assert.throws(() => compileJsonPath(bad), (e: unknown) => e instanceof JsonPathError && /supported/.test(e.message), bad);
    }
  });
});

describe('response diff', () => {
  const rules = compileRules({ ignoreHeaders: ['X-Trace'], ignoreJsonPaths: ['$.timestamp', '$.items[*].requestId'] });

  test('equal answers, differing only in ignored headers and paths, are the same', () => {
    const a = json({ price: 10, timestamp: 1, items: [{ requestId: 'a', n: 1 }] }, 200, [['date', 'Mon'], ['x-trace', '1'], ['x-request-id', 'r1']]);
    const b = json({ price: 10, timestamp: 2, items: [{ requestId: 'b', n: 1 }] }, 200, [['date', 'Tue'], ['x-trace', '2'], ['x-request-id', 'r2']]);
    assert.deepEqual(diffResponses(a, b, rules), { kinds: [], detail: [] });
  });

  test('a changed JSON field is a body difference that names the field and both values', () => {
    const d = diffResponses(json({ price: 10, name: 'x' }), json({ price: 12, name: 'x' }), rules);
    assert.deepEqual(d, { kinds: ['body'], detail: ['$.price: 10 ≠ 12'] });
  });

  test('JSON is compared structurally: key order and whitespace do not count', () => {
    const a: CapturedResponse = { ...json(null), body: Buffer.from('{"a":1,"b":[1,2]}') };
    const b: CapturedResponse = { ...json(null), body: Buffer.from('{ "b": [1, 2], "a": 1 }') };
    assert.deepEqual(diffResponses(a, b, rules).kinds, []);
  });

  test('status and header differences are named; non-JSON bodies compare by hash', () => {
    const text = (body: string, status: number, etag: string): CapturedResponse => ({ status, headers: [['content-type', 'text/plain'], ['etag', etag]], body: Buffer.from(body), truncated: false });
    const d = diffResponses(text('hello', 200, '"a"'), text('hellO', 500, '"b"'), rules);
    assert.deepEqual(d.kinds, ['status', 'header', 'body']);
    assert.equal(d.detail[0], 'status 200 ≠ 500');
    assert.equal(d.detail[1], 'header etag: "\\"a\\"" ≠ "\\"b\\""');
    assert.match(d.detail[2]!, /^body: the 5 vs 5 bytes differ \(sha256 [0-9a-f]{12} ≠ [0-9a-f]{12}\)$/);
  });

  test('firstDifference reports missing keys and array lengths', () => {
    assert.equal(firstDifference({ a: 1 }, { a: 1, b: 2 }, '$'), '$.b: missing ≠ 2');
    assert.equal(firstDifference([1, 2], [1, 2, 3], '$'), '$: 2 items ≠ 3 items');
    assert.equal(firstDifference({ a: [{ b: 'x' }] }, { a: [{ b: 'y' }] }, '$'), '$.a[0].b: "x" ≠ "y"');
    assert.equal(firstDifference({ a: 1 }, { a: '1' }, '$'), '$.a: 1 ≠ "1"');
  });
});

describe('diff store', () => {
  test('counts by kind, keeps the first samples only, masks secret headers and trims bodies', () => {
    const store = new DiffStore('2');
    const stable = json({ big: 'x'.repeat(1000) }, 200, [['authorization', 'Bearer s3cret'], ['x-api-key', 'k'], ['vary', 'accept']]);
    const shadow = json({ big: 'y' }, 500);
    for (let i = 0; i < MAX_SAMPLES + 5; i++) {
      store.mirrored();
      store.compared(`GET /item/${i}`, stable, shadow, diffResponses(stable, shadow, compileRules({})));
    }
    store.compared('GET /same', stable, stable, diffResponses(stable, stable, compileRules({})));
    store.dropped();
    const r = store.snapshot();
    assert.equal(r.compared, MAX_SAMPLES + 6);
    assert.equal(r.differing, MAX_SAMPLES + 5);
    assert.deepEqual(r.byKind, { status: MAX_SAMPLES + 5, header: MAX_SAMPLES + 5, body: MAX_SAMPLES + 5 });
    assert.equal(r.dropped, 1);
    assert.equal(r.samples.length, MAX_SAMPLES);
    assert.equal(r.samples[0]!.request, 'GET /item/0');
    const headers = Object.fromEntries(r.samples[0]!.stable.headers);
    assert.equal(headers.authorization, '***');
    assert.equal(headers['x-api-key'], '***');
    assert.equal(headers.vary, 'accept');
    assert.ok(r.samples[0]!.stable.body.length < 500 && r.samples[0]!.stable.body.endsWith('…'));
    assert.ok(!JSON.stringify(r).includes('s3cret'));
  });

  test('headerList reads a relayed head', () => {
    assert.deepEqual(headerList('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A:  b \r\n'), [['content-type', 'text/plain'], ['x-a', 'b']]);
  });
});
