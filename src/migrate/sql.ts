/** Quoting helpers: every name that reaches SQL goes through ident(). */

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** PostgreSQL identifiers are cut at 63 bytes; keep generated names inside that. */
export function shortName(...parts: string[]): string {
  const joined = parts.join('_').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return joined.length <= 63 ? joined : joined.slice(0, 54) + '_' + hash(joined);
}

function hash(s: string): string {
  let h = 5381;
  for (const ch of s) h = ((h * 33) ^ ch.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(8, '0').slice(0, 8);
}
