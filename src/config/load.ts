import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { zodIssues } from '../shared/zod-issues.ts';
import { cutoverConfigSchema, type CutoverConfig } from './schema.ts';

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(input: unknown, source = 'config'): CutoverConfig {
  const result = cutoverConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(source, zodIssues(result.error, input));
  return result.data;
}

/** Parses YAML text (JSON is YAML too). Syntax errors name the line. */
export function parseConfigText(text: string, source = 'config'): CutoverConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0]!, hint: 'fix the YAML syntax' })),
    );
  }
  return parseConfig(doc.toJS(), source);
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
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (cause) {
    throw new ConfigError(abs, [{ path: '', message: `cannot read the file: ${(cause as Error).message}`, hint: 'pass the right path with -c' }]);
  }
  const config = parseConfigText(text, abs);
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
