// Where the test apps live and how to run them as an instance command.
import { fileURLToPath } from 'node:url';

/** test/helpers/apps/server.mjs: see its header for the env options. */
export const serverApp = fileURLToPath(new URL('./server.mjs', import.meta.url));

/** A `run` command for the test server, safe to pass to `sh -c`. */
export function serverCommand(): string {
  return `${shellQuote(process.execPath)} ${shellQuote(serverApp)}`;
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
