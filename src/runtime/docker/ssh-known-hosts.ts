/**
 * Host key checking for Engines reached over SSH, as OpenSSH does it: the server's key must be listed for that host
 * in a known_hosts file (plain or hashed names, `[host]:port` for ports other than 22, `*`/`?` patterns, `!`
 * negations and @revoked markers). An unknown or changed key is refused, so a man in the middle never gets the
 * Docker API. Add a host with `ssh-keyscan -H host >> ~/.ssh/known_hosts`.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownKey {
  /** e.g. ssh-ed25519 */
  type: string;
  /** The key blob (base64-decoded). */
  key: Buffer;
  revoked: boolean;
}

/** The keys a known_hosts text lists for `host` on `port`. */
export function knownKeys(text: string, host: string, port: number): KnownKey[] {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const out: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]!.startsWith('@')) marker = fields.shift();
    const [names, type, blob] = fields;
    if (!names || !type || !blob || marker === '@cert-authority') continue;
    if (!namesMatch(names, name)) continue;
    out.push({ type, key: Buffer.from(blob, 'base64'), revoked: marker === '@revoked' });
  }
  return out;
}

function namesMatch(names: string, name: string): boolean {
  if (names.startsWith('|1|')) {
    const [, , salt, hash] = names.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of names.split(',')) {
    const negated = pattern.startsWith('!');
    if (!glob(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function glob(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** True when `key` (the server's, as SSH sends it) is known for the host and not revoked. */
export function isKnownHostKey(text: string, host: string, port: number, key: Buffer): boolean {
  const keys = knownKeys(text, host, port);
  if (keys.some((k) => k.revoked && k.key.equals(key))) return false;
  return keys.some((k) => !k.revoked && k.key.equals(key));
}

/** Reads the file once per check (it changes when people add hosts); a missing file knows no host. */
export function knownHostsVerifier(file: string, host: string, port: number): (key: Buffer) => boolean {
  return (key) => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    return isKnownHostKey(text, host, port, key);
  };
}
