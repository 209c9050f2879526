/** Shared bits for migration tests: temp migration files and version clients. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export class MigrationDir {
  readonly path = mkdtempSync(join(tmpdir(), 'cutover-migrations-'));

  /** Writes `<name>.json` and returns its path. */
  write(name: string, operations: unknown[]): string {
    const file = join(this.path, `${name}.json`);
    writeFileSync(file, JSON.stringify({ operations }));
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A client for one app version: `options` as returned by startMigration (pgOptions) or a search_path. */
export async function versionClient(url: string, options?: string): Promise<pg.Client> {
  const c = new pg.Client(options ? { connectionString: url, options } : { connectionString: url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export function searchPathOptions(searchPath: string): string {
  return `-c search_path=${searchPath}`;
}

/** Polls until `check` is true or the timeout passes (then the caller's assert fails with context). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
