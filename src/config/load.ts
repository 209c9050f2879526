import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { cutoverConfigSchema, type CutoverConfig } from './schema.ts';

/** Turns zod issues into ones a person can act on: the path, the value found and a hint. */
export function toConfigIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const value = valueAt(input, issue.path as PropertyKey[]);
    let hint: string | undefined;
    if (issue.code === 'unrecognized_keys') hint = `remove ${issue.keys.join(', ')} or check the spelling (see \`cutover schema\`)`;
    else if (issue.code === 'invalid_type' && value === undefined) hint = 'this field is required';
    else if (issue.code === 'invalid_union') hint = 'see `cutover schema` for the accepted shapes';
    return { path, message: issue.message, ...(value !== undefined ? { value } : {}), ...(hint ? { hint } : {}) };
  });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(input: unknown, source = 'config'): CutoverConfig {
  const result = cutoverConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(source, toConfigIssues(result.error, input));
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
  /** Directory relative paths (cwd, stateDir) are resolved against. */
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
  for (const svc of Object.values(config.services)) svc.cwd = resolve(baseDir, svc.cwd ?? '.');
  return { config, file: abs, baseDir };
}
