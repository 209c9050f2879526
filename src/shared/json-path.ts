/**
 * The small JSONPath subset shadow comparison ignores values by: `$`, `.name`, `['name']`, `[0]`, `[*]` and `.*`.
 * A path that does not parse is a config error at compile time, never a surprise per request.
 *
 * @example removePath({ a: [{ id: 1, x: 2 }, { id: 3 }] }, compileJsonPath('$.a[*].id')) // → { a: [{ x: 2 }, {}] }
 */
export type JsonPathStep = { key: string } | { index: number } | { any: true };
export type JsonPath = readonly JsonPathStep[];

export class JsonPathError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`JSON path "${path}": ${reason} (supported: $.name, $['name'], $.list[0], $.list[*], $.*)`);
  }
}

export function compileJsonPath(path: string): JsonPath {
  if (!path.startsWith('$')) throw new JsonPathError(path, 'must start with $');
  const steps: JsonPathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '*') {
        steps.push({ any: true });
        i += 2;
        continue;
      }
      const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i + 1));
      if (!m) throw new JsonPathError(path, `expected a name after "." at ${i}`);
      steps.push({ key: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) throw new JsonPathError(path, `"[" at ${i} is not closed`);
      const inner = path.slice(i + 1, close).trim();
      if (inner === '*') steps.push({ any: true });
      else if (/^\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) steps.push({ key: inner.slice(1, -1) });
      else throw new JsonPathError(path, `cannot read "[${inner}]"`);
      i = close + 1;
    } else {
      throw new JsonPathError(path, `unexpected "${c}" at ${i}`);
    }
  }
  if (steps.length === 0) throw new JsonPathError(path, 'names nothing below $');
  return steps;
}

/** Deletes every value the path names from `doc`, in place. */
export function removePath(doc: unknown, path: JsonPath, from = 0): void {
  if (doc === null || typeof doc !== 'object') return;
  const step = path[from]!;
  const last = from === path.length - 1;
  const container = doc as Record<string, unknown> & unknown[];
  const keys: (string | number)[] =
    'any' in step ? (Array.isArray(doc) ? doc.map((_, k) => k) : Object.keys(doc)) : 'index' in step ? (Array.isArray(doc) ? [step.index] : []) : Array.isArray(doc) ? [] : [step.key];
  if (last) {
    if (Array.isArray(doc)) {
      // Removing from an array would shift the items after it: the value is blanked instead.
      for (const k of keys) if (typeof k === 'number' && k < doc.length) doc[k] = null;
    } else {
      for (const k of keys) delete container[k as string];
    }
    return;
  }
  for (const k of keys) removePath(container[k as never], path, from + 1);
}
