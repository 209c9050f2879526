/**
 * Fields that describe one connection, not the message (RFC 9110 §7.6.1, and
 * the older Keep-Alive / Proxy-Connection / Proxy-Authenticate /
 * Proxy-Authorization that proxies also drop): never passed on in either
 * direction. Connection itself and Transfer-Encoding are hop-by-hop too, but
 * each side reads their values first, so they are handled by name.
 * Expect is here because the proxy answers 100-continue itself.
 */
export const HOP_BY_HOP_FIELDS: readonly string[] = [
  'te', 'expect', 'upgrade', 'trailer', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
];

/** Lower-case names grouped by length, so a field is looked up without lower-casing most names. */
export function byLength<K>(entries: ReadonlyArray<readonly [string, K]>): Array<Array<readonly [string, K]> | undefined> {
  const out: Array<Array<readonly [string, K]> | undefined> = [];
  for (const e of entries) (out[e[0].length] ??= []).push(e);
  return out;
}

/**
 * Names a Connection header lists are hop-by-hop too (RFC 9110 §7.6.1). Framing and routing
 * fields stay whatever it says: dropping them would change where a message ends or where it goes.
 */
export function connectionListed(connection: string): Set<string> {
  const listed = new Set<string>();
  for (const t of connection.split(',')) {
    const n = t.trim().toLowerCase();
    if (n && n !== 'close' && n !== 'keep-alive' && n !== 'content-length' && n !== 'host' && n !== 'transfer-encoding') listed.add(n);
  }
  return listed;
}
