/**
 * What a client command (status, deploy, promote, ...) needs from
 * cutover.yaml: where the control API listens, and the state dir that holds
 * its token. Read without the schema: zod and the schema take longer to load
 * than the rest of `cutover status`, and every CI step and `status` loop pays
 * that. Only the fields read here are checked, as the schema would; when one
 * is not what the schema accepts (or the YAML does not parse), the full
 * validation runs and reports it as `cutover up` would.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_STATE_DIR } from './defaults.ts';

export interface ApiSettings {
  /** The control API's base URL, e.g. http://127.0.0.1:7070. */
  url: string;
  /** Absolute: a relative stateDir resolves against the file's directory. */
  stateDir: string;
}

export async function readApiSettings(file: string): Promise<ApiSettings> {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (cause) {
    throw new ConfigError(abs, [{ path: '', message: `cannot read the file: ${(cause as Error).message}`, hint: 'pass the right path with -c' }]);
  }
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

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function apiUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
