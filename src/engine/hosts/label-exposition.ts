/**
 * Several proxies' Prometheus expositions as one scrape: each sample gets a `host` label (two hosts' proxies count
 * the same revision, and one exposition may not repeat a series), each metric's HELP and TYPE lines appear once.
 */
export function labelExposition(parts: Array<{ host: string; text: string }>): string {
  const meta = new Map<string, string[]>();
  const samples = new Map<string, string[]>();
  for (const { host, text } of parts) {
    const label = `host="${host.replace(/["\\\n]/g, '_')}"`;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const m = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (m) {
        const list = meta.get(m[2]!) ?? [];
        if (!list.some((l) => l.startsWith(`# ${m[1]} `))) list.push(line);
        meta.set(m[2]!, list);
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) continue;
      const rest = line.slice(name.length);
      const labelled = rest.startsWith('{') ? `${name}{${label},${rest.slice(1)}` : `${name}{${label}}${rest}`;
      const family = familyOf(name, meta);
      samples.set(family, [...(samples.get(family) ?? []), labelled.replace(`{${label},}`, `{${label}}`)]);
    }
  }
  const out: string[] = [];
  for (const [family, lines] of samples) out.push(...(meta.get(family) ?? []), ...lines);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** A histogram's _bucket/_sum/_count samples belong to the family its TYPE line names. */
function familyOf(name: string, meta: Map<string, string[]>): string {
  if (meta.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count|total|created)$/, '');
  return meta.has(base) ? base : name;
}
