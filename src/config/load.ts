import { dirname, resolve } from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { zodIssues } from '../shared/zod-issues.ts';
import { MAX_CONFIG_BYTES, readConfigText, tooLarge } from '../shared/config-file.ts';
import { cutoverConfigSchema, SERVICE_NAME, type CutoverConfig } from './schema.ts';

/** Nodes aliases (*name) may expand to in all (the yaml package's own guard against "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(input: unknown, source = 'config'): CutoverConfig {
  const result = cutoverConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(source, zodIssues(result.error, input));
  return result.data;
}

/** Parses YAML text (JSON is YAML too). Syntax errors name the line; every failure is a ConfigError, never a crash. */
export function parseConfigText(text: string, source = 'config'): CutoverConfig {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw tooLarge(source, bytes);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0]!, hint: 'fix the YAML syntax' })),
    );
  }
  // Checked on the document: once converted, a key like __proto__ is no longer an ordinary key (it vanishes).
  const names = serviceNameIssues(doc);
  if (names.length > 0) throw new ConfigError(source, names);
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ConfigError(source, [{
      path: '',
      message: `cannot be expanded: ${(err as Error).message}`,
      hint: `aliases (*name) may expand to at most ${MAX_ALIAS_COUNT} nodes in all; write the values out`,
    }]);
  }
  return parseConfig(input, source);
}

/** Every key under `services` must be a service name, checked with its path before the document becomes an object. */
function serviceNameIssues(doc: Document): ConfigIssue[] {
  const services = doc.get('services', true);
  if (!isMap(services)) return [];
  const issues: ConfigIssue[] = [];
  for (const pair of services.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    const name = typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
    if (name !== undefined && SERVICE_NAME.test(name)) continue;
    const shown = name ?? String(key);
    issues.push({
      path: `services.${shown}`,
      message: `"${shown.slice(0, 60)}" is not a service name`,
      value: shown,
      hint: 'use lowercase letters, digits and dashes, starting with a letter or digit, like web or billing-api',
    });
  }
  return issues;
}

export interface LoadedConfig {
  config: CutoverConfig;
  /** Absolute path of the file. */
  file: string;
  /** Directory relative paths (cwd, stateDir, certificate and key files) are resolved against. */
  baseDir: string;
}

/** Reads, parses and validates a config file; relative paths resolve against its directory. */
export function loadConfigFile(file: string): LoadedConfig {
  const abs = resolve(file);
  const config = parseConfigText(readConfigText(abs), abs);
  const baseDir = dirname(abs);
  config.stateDir = resolve(baseDir, config.stateDir);
  for (const svc of Object.values(config.services)) {
    svc.cwd = resolve(baseDir, svc.cwd ?? '.');
    if (svc.tls) {
      svc.tls.certFile = resolve(baseDir, svc.tls.certFile);
      svc.tls.keyFile = resolve(baseDir, svc.tls.keyFile);
    }
  }
  return { config, file: abs, baseDir };
}
