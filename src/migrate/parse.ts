/**
 * From a parsed YAML/JSON document to a Migration, with problems a person can
 * act on: each names the operation, the field, and what is allowed there
 * (`operations.2 (create_index).columns: ...`), never just "Invalid input".
 */
import { z } from 'zod';
import { OP_KINDS, OPERATION_SCHEMAS, MIGRATION_NAME, TOP_LEVEL_FIELDS, type Migration, type OpKind, type OperationSpec } from './file-schema.ts';

export interface ParsedDocument {
  migration: Omit<Migration, 'name'> & { name?: string | undefined };
  problems: string[];
}

export function parseDocument(raw: unknown): ParsedDocument {
  const problems: string[] = [];
  const operations: OperationSpec[] = [];
  const out: ParsedDocument = { migration: { operations }, problems };
  if (!isObject(raw)) {
    problems.push(`(root): expected a mapping with "operations" (a list of operations), got ${describe(raw)}`);
    return out;
  }
  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_FIELDS as readonly string[]).includes(key)) problems.push(`(root): unknown field "${key}"${suggest(key, TOP_LEVEL_FIELDS)}; allowed: ${TOP_LEVEL_FIELDS.join(', ')}`);
  }
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !MIGRATION_NAME.test(raw.name) || raw.name.length > 50) problems.push(`name: use letters, digits, _ and - (at most 50 characters)`);
    else out.migration.name = raw.name;
  }
  if (raw.version_schema !== undefined && raw.version_schema !== null) {
    if (typeof raw.version_schema !== 'string' || !MIGRATION_NAME.test(raw.version_schema) || raw.version_schema.length > 50) {
      problems.push(`version_schema: use letters, digits, _ and - (at most 50 characters)`);
    } else out.migration.versionSchema = raw.version_schema;
  }
  const list = raw.operations;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`operations: expected a non-empty list of operations, got ${describe(list)}`);
    return out;
  }
  for (const [i, item] of list.entries()) {
    const at = `operations.${i}`;
    if (!isObject(item) || Object.keys(item).length !== 1) {
      const keys = isObject(item) ? Object.keys(item) : [];
      problems.push(
        keys.length > 1
          ? `${at}: one operation per list item, found ${keys.map((k) => `"${k}"`).join(', ')}; start each with "- "`
          : `${at}: expected one operation such as { add_column: {...} }, got ${describe(item)}`,
      );
      continue;
    }
    const [kind, spec] = Object.entries(item)[0]!;
    if (!(OP_KINDS as string[]).includes(kind)) {
      problems.push(`${at}: unknown operation "${kind}"${suggest(kind, OP_KINDS)}; allowed: ${OP_KINDS.join(', ')}`);
      continue;
    }
    const schema = OPERATION_SCHEMAS[kind as OpKind];
    const parsed = schema.safeParse(spec);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(formatIssue(`${at} (${kind})`, schema, issue, spec));
      continue;
    }
    operations.push({ kind, spec: parsed.data } as OperationSpec);
  }
  return out;
}

function formatIssue(prefix: string, schema: z.ZodType, issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String);
  const where = path.length ? `${prefix}.${path.join('.')}` : prefix;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(schema, issue.path);
      return issue.keys
        .map((k) => `${where}: unknown field "${k}"${allowed ? `${suggest(k, allowed)}; allowed: ${allowed.join(', ')}` : ''}`)
        .join('\n  ');
    }
    case 'invalid_type': {
      const value = valueAt(input, issue.path);
      if (value === undefined) return `${where}: required (${expected(issue.expected)})`;
      return `${where}: expected ${expected(issue.expected)}, got ${describe(value)}`;
    }
    case 'invalid_value':
      return `${where}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(valueAt(input, issue.path))}`;
    case 'too_small':
      return issue.origin === 'array' ? `${where}: list at least ${String(issue.minimum)} item(s)` : `${where}: must not be empty`;
    case 'too_big':
      return issue.origin === 'string' ? `${where}: at most ${String(issue.maximum)} characters (PostgreSQL cuts names at 63 bytes)` : `${where}: ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function expected(t: string): string {
  return t === 'record' || t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`;
}

/** The field names the object at `path` accepts, found by walking the schema. */
function allowedKeysAt(schema: z.ZodType, path: PropertyKey[]): string[] | null {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    s = container(s, typeof key === 'number' ? 'list' : 'map');
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return null;
  }
  s = container(s, 'map');
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}

/** The schema itself, or the option of a union that can hold a key of this kind. */
function container(s: z.ZodType | undefined, kind: 'list' | 'map'): z.ZodType | undefined {
  const u = unwrap(s);
  if (!(u instanceof z.ZodUnion)) return u;
  const options = (u.options as z.ZodType[]).map(unwrap);
  return kind === 'list' ? options.find((o) => o instanceof z.ZodArray) : (options.find((o) => o instanceof z.ZodObject) ?? options.find((o) => o instanceof z.ZodRecord));
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur: z.ZodType | undefined = s;
  for (let i = 0; i < 10 && cur; i++) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPipe) cur = (cur.in instanceof z.ZodTransform ? cur.out : cur.in) as z.ZodType;
    else break;
  }
  return cur;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = isObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** `; did you mean "create_index"?` for a near miss (edit distance ≤ 2, or a prefix). */
function suggest(word: string, options: readonly string[]): string {
  let best: string | null = null;
  let bestD = 3;
  const w = word.toLowerCase();
  for (const o of options) {
    const prefix = Math.min(w.length, o.length) >= 3 && (o.startsWith(w) || w.startsWith(o));
    const d = prefix ? Math.min(1, distance(w, o)) : distance(w, o);
    if (d < bestD) {
      best = o;
      bestD = d;
    }
  }
  return best ? `; did you mean "${best}"?` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
