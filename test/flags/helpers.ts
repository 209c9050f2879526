/** A control API with flags on a real port (0), over a SQLite store in a temp dir, without a controller. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { FlagService } from '../../src/flags/service.ts';
import type { ControlPlane } from '../../src/rollout/types.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

export const ADMIN = 'admin-token-0123456789';
export const CLIENT = 'client-token-0123456789';

export class FlagApi {
  readonly dir = mkdtempSync(join(tmpdir(), 'cutover-flagapi-'));
  store!: SqliteStore;
  flags!: FlagService;
  app!: FastifyInstance;
  url = '';
  port = 0;

  constructor(private readonly opts: { heartbeatMs?: number } = {}) {}

  /** Starts (or restarts, on the same port and state) the API. */
  async start(port = this.port): Promise<this> {
    this.store = new SqliteStore({ stateDir: this.dir });
    this.flags = new FlagService({ store: this.store });
    this.app = buildApi({ control: {} as ControlPlane, token: ADMIN, clientToken: CLIENT, flags: this.flags, flagStreamHeartbeatMs: this.opts.heartbeatMs });
    this.url = await this.app.listen({ host: '127.0.0.1', port });
    this.port = Number(new URL(this.url).port);
    return this;
  }

  async stop(): Promise<void> {
    await this.app.close();
    this.store.close();
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  async call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(this.url + path, {
      method,
      headers: {
        authorization: `Bearer ${opts.token ?? ADMIN}`,
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
