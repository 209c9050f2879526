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

/**
 * Rewrites column references in an SQL expression (`from` name → `to` name):
 * unquoted words compare case-insensitively, quoted identifiers exactly;
 * string literals, dollar quotes, qualified names (`t.col`), function names
 * (`col(`) and type names after `::` are left alone.
 */
export function renameIdentifiers(expr: string, renames: Map<string, string>): string {
  let out = '';
  let i = 0;
  let prev = ''; // the last significant character before the current token
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === "'" || ((ch === 'E' || ch === 'e') && expr[i + 1] === "'" && !/[A-Za-z0-9_$]/.test(expr[i - 1] ?? ''))) {
      const start = i;
      const escapes = ch !== "'";
      i += escapes ? 2 : 1;
      while (i < expr.length) {
        if (escapes && expr[i] === '\\') i += 2;
        else if (expr[i] === "'" && expr[i + 1] === "'") i += 2;
        else if (expr[i] === "'") break;
        else i++;
      }
      i++;
      out += expr.slice(start, i);
      prev = "'";
      continue;
    }
    if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(expr.slice(i));
      if (tag) {
        const end = expr.indexOf(tag[0], i + tag[0].length);
        const stop = end < 0 ? expr.length : end + tag[0].length;
        out += expr.slice(i, stop);
        i = stop;
        prev = '$';
        continue;
      }
    }
    if (ch === '"' || /[A-Za-z_]/.test(ch)) {
      const start = i;
      let word: string;
      let quoted = false;
      if (ch === '"') {
        quoted = true;
        i++;
        while (i < expr.length && !(expr[i] === '"' && expr[i + 1] !== '"')) i += expr[i] === '"' ? 2 : 1;
        i++;
        word = expr.slice(start + 1, i - 1).replaceAll('""', '"');
      } else {
        while (i < expr.length && /[A-Za-z0-9_$]/.test(expr[i]!)) i++;
        word = expr.slice(start, i);
      }
      const rest = expr.slice(i).trimStart();
      // PostgreSQL folds unquoted names to lower case.
      const target = renames.get(quoted ? word : word.toLowerCase());
      const qualified = prev === '.' || rest.startsWith('.');
      const call = rest.startsWith('(');
      const cast = out.trimEnd().endsWith('::');
      out += target !== undefined && !qualified && !call && !cast ? ident(target) : expr.slice(start, i);
      prev = 'w';
      continue;
    }
    out += ch;
    if (!/\s/.test(ch)) prev = ch;
    i++;
  }
  return out;
}
