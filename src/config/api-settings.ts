/**
 * What a client command (status, deploy, promote, ...) needs from
 * cutover.yaml: where the control API listens, and the state dir that holds
 * its token. Every CI step and `status` loop pays for how this is read, so:
 *
 * - `cutover up` records the answer for the text of its config file in
 *   `<stateDir>/api.json`. When the file's text is the one recorded (same
 *   SHA-256) and the state dir is the default one beside it, the record is
 *   the answer: nothing is parsed.
 * - Otherwise the YAML is parsed and only these fields are checked, as the
 *   schema would: zod and the schema take longer to load than the rest of
 *   `cutover status`. When one of them is not what the schema accepts (or the
 *   YAML does not parse), the full validation runs and reports it as
 *   `cutover up` would.
 *
 * Either way the answer is the one the full load would give for that text.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { writeFileAtomic } from '../shared/atomic-file.ts';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_STATE_DIR } from './defaults.ts';

export interface ApiSettings {
  /** The control API's base URL, e.g. http://127.0.0.1:7070. */
  url: string;
  /** Absolute: a relative stateDir resolves against the file's directory. */
  stateDir: string;
}

/** `<stateDir>/api.json`: the settings of one config text. */
interface ApiRecord extends ApiSettings {
  sha256: string;
}

const RECORD = 'api.json';

export async function readApiSettings(file: string): Promise<ApiSettings> {
  const abs = resolve(file);
  const text = readConfigText(abs);
  // Only the default state dir can be found without parsing; a record elsewhere is never looked for.
  // A record copied along with its directory names the old state dir: it is not this file's, parse.
  const defaultStateDir = join(dirname(abs), DEFAULT_STATE_DIR);
  const record = readRecord(join(defaultStateDir, RECORD));
  if (record && record.sha256 === sha256(text) && record.stateDir === defaultStateDir) return { url: record.url, stateDir: record.stateDir };
  return settingsOf(abs, text);
}

/** Called by `cutover up`: records the settings of the config file's current text in its state dir. */
export async function recordApiSettings(file: string): Promise<void> {
  const abs = resolve(file);
  const text = readConfigText(abs);
  const settings = await settingsOf(abs, text);
  const record: ApiRecord = { ...settings, sha256: sha256(text) };
  await writeFileAtomic(join(settings.stateDir, RECORD), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

function readConfigText(abs: string): string {
  try {
    return readFileSync(abs, 'utf8');
  } catch (cause) {
    throw new ConfigError(abs, [{ path: '', message: `cannot read the file: ${(cause as Error).message}`, hint: 'pass the right path with -c' }]);
  }
}

async function settingsOf(abs: string, text: string): Promise<ApiSettings> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text);
  const fields = doc.errors.length === 0 ? apiFields(doc.toJS()) : undefined;
  if (fields) return { url: apiUrl(fields.host, fields.port), stateDir: resolve(dirname(abs), fields.stateDir) };
  const { loadConfigFile } = await import('./load.ts');
  const { config } = loadConfigFile(abs); // throws the ConfigError that says what is wrong
  return { url: apiUrl(config.api.host, config.api.port), stateDir: config.stateDir };
}

/** stateDir, api.host and api.port with their defaults, or undefined when the schema would refuse one of them. */
function apiFields(doc: unknown): { host: string; port: number; stateDir: string } | undefined {
  if (!isObject(doc)) return undefined;
  const { stateDir = DEFAULT_STATE_DIR, api = {} } = doc;
  if (typeof stateDir !== 'string' || !isObject(api) || Object.keys(api).some((k) => k !== 'host' && k !== 'port')) return undefined;
  const { host = DEFAULT_API_HOST, port = DEFAULT_API_PORT } = api;
  if (typeof host !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port, stateDir };
}

function readRecord(file: string): ApiRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<ApiRecord>;
    return typeof r.url === 'string' && typeof r.stateDir === 'string' && typeof r.sha256 === 'string' ? (r as ApiRecord) : undefined;
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function apiUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
