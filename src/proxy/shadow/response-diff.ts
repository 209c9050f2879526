/**
 * How a shadow's answer differs from the one the user got: status, the headers worth comparing, and the body —
 * JSON structurally (with ignored paths), anything else by hash. Pure; the proxy calls it once both answers of a
 * mirrored request are in.
 *
 * @example diffResponses(
 *   { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from('{"price":10,"at":1}'), truncated: false },
 *   { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from('{"price":12,"at":2}'), truncated: false },
 *   compileRules({ ignoreJsonPaths: ['$.at'] }))
 * // { kinds: ['body'], detail: ['$.price: 10 ≠ 12'] }
 */
import { createHash } from 'node:crypto';
import { compileJsonPath, removePath, type JsonPath } from '../../shared/json-path.ts';

export interface CapturedResponse {
  status: number;
  /** Lower-cased names, in arrival order. */
  headers: [string, string][];
  /** The body without transfer framing, up to the capture limit. */
  body: Buffer;
  /** True when the body was longer than the capture limit (only its prefix is here). */
  truncated: boolean;
}

export type DiffKind = 'status' | 'header' | 'body';

export interface ResponseDiff {
  kinds: DiffKind[];
  /** One short line per difference, e.g. "status 200 ≠ 500", "header etag: "a" ≠ "b"", "$.price: 10 ≠ 12". */
  detail: string[];
}

export interface CompareRules {
  ignoreHeaders: ReadonlySet<string>;
  ignoreJsonPaths: readonly JsonPath[];
}

/**
 * Headers that differ between two correct answers by nature (time, ids, framing, the proxy's own) are never
 * compared; `ignoreHeaders` adds to them.
 */
export const ALWAYS_IGNORED_HEADERS = ['date', 'x-request-id', 'set-cookie', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'age', 'x-cutover-revision'];

/** Headers whose values are never shown in a diff or a sample (credentials, sessions). */
export const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api-?key|password|session/i;

export function compileRules(opts: { ignoreHeaders?: readonly string[]; ignoreJsonPaths?: readonly string[] }): CompareRules {
  return {
    ignoreHeaders: new Set([...ALWAYS_IGNORED_HEADERS, ...(opts.ignoreHeaders ?? []).map((h) => h.toLowerCase())]),
    ignoreJsonPaths: (opts.ignoreJsonPaths ?? []).map(compileJsonPath),
  };
}

export function diffResponses(stable: CapturedResponse, shadow: CapturedResponse, rules: CompareRules): ResponseDiff {
  const out: ResponseDiff = { kinds: [], detail: [] };
  if (stable.status !== shadow.status) add(out, 'status', `status ${stable.status} ≠ ${shadow.status}`);
  const headerLines = diffHeaders(stable.headers, shadow.headers, rules.ignoreHeaders);
  if (headerLines.length > 0) add(out, 'header', ...headerLines);
  const bodyLine = diffBodies(stable, shadow, rules.ignoreJsonPaths);
  if (bodyLine !== null) add(out, 'body', bodyLine);
  return out;
}

function add(d: ResponseDiff, kind: DiffKind, ...lines: string[]): void {
  d.kinds.push(kind);
  d.detail.push(...lines);
}

function diffHeaders(a: [string, string][], b: [string, string][], ignore: ReadonlySet<string>): string[] {
  const ma = headerMap(a, ignore);
  const mb = headerMap(b, ignore);
  const lines: string[] = [];
  for (const name of new Set([...ma.keys(), ...mb.keys()])) {
    const va = ma.get(name);
    const vb = mb.get(name);
    if (va !== vb) lines.push(SECRET_HEADER.test(name) ? `header ${name}: differs (value masked)` : `header ${name}: ${show(va)} ≠ ${show(vb)}`);
  }
  return lines;
}

function headerMap(headers: [string, string][], ignore: ReadonlySet<string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, value] of headers) {
    if (ignore.has(name)) continue;
    m.set(name, m.has(name) ? `${m.get(name)}, ${value}` : value);
  }
  return m;
}

function diffBodies(a: CapturedResponse, b: CapturedResponse, ignorePaths: readonly JsonPath[]): string | null {
  if (isJson(a) && isJson(b)) {
    const ja = parseJson(a.body);
    const jb = parseJson(b.body);
    if (ja.ok && jb.ok) {
      for (const p of ignorePaths) {
        removePath(ja.value, p);
        removePath(jb.value, p);
      }
      return firstDifference(ja.value, jb.value, '$');
    }
  }
  if (a.truncated !== b.truncated) return `body: one answer is longer than the capture limit, the other is not`;
  if (a.body.equals(b.body)) return null;
  const what = a.truncated ? 'the first' : 'the';
  return `body: ${what} ${a.body.length} vs ${b.body.length} bytes differ (sha256 ${hash(a.body)} ≠ ${hash(b.body)})`;
}

function isJson(r: CapturedResponse): boolean {
  if (r.truncated) return false;
  const type = r.headers.find(([n]) => n === 'content-type')?.[1] ?? '';
  return /[/+]json\b/i.test(type);
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** The path of the first difference between two JSON values, with both sides, or null when they are equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  const ta = kindOf(a);
  const tb = kindOf(b);
  if (ta !== tb || (ta !== 'array' && ta !== 'object')) return `${path}: ${show(a)} ≠ ${show(b)}`;
  if (ta === 'array') {
    const xa = a as unknown[];
    const xb = b as unknown[];
    for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
      if (i >= xa.length || i >= xb.length) return `${path}: ${xa.length} items ≠ ${xb.length} items`;
      const d = firstDifference(xa[i], xb[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  const oa = a as Record<string, unknown>;
  const ob = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(oa), ...Object.keys(ob)])) {
    const sub = `${path}.${key}`;
    if (!(key in oa) || !(key in ob)) return `${sub}: ${key in oa ? show(oa[key]) : 'missing'} ≠ ${key in ob ? show(ob[key]) : 'missing'}`;
    const d = firstDifference(oa[key], ob[key], sub);
    if (d !== null) return d;
  }
  return null;
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function hash(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 12);
}
