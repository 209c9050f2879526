/**
 * Defaults of cutover.yaml's top-level fields. The schema (schema.ts) applies
 * them; api-settings.ts, which client commands use instead of the schema,
 * applies the same ones.
 */
export const DEFAULT_STATE_DIR = '.cutover';
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 7070;
