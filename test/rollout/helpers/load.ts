/** The controller tests' view of the shared load generator: their test app answers its version as plain text. */
import { request } from 'undici';
import { LoadGenerator } from '../../helpers/load.ts';

export class Load {
  private readonly gen: LoadGenerator;

  /**
   * `clients` back-to-back loops on `/`, plus `slow` loops on /slow?ms=700 that are in flight while instances drain,
   * and `posts` loops of POST / (never retried once sent: they pass only because instances are drained before they stop).
   */
  constructor(url: string, opts: { clients?: number; slow?: number; posts?: number; headers?: Record<string, string>; path?: () => string; parse?: (body: string) => { version: string } } = {}) {
    this.gen = new LoadGenerator({
      url,
      ...(opts.path ? { path: opts.path } : {}),
      clients: opts.clients ?? 2,
      slowClients: opts.slow ?? 1,
      // POST / answers the test app's plain version: with another path and parser (shadow, experiment) none by default.
      postClients: opts.posts ?? (opts.path || opts.parse ? 0 : 1),
      slowMs: 700,
      gapMs: 5,
      headers: opts.headers,
      parse: opts.parse ?? ((body) => ({ version: body })),
    });
  }

  get versions(): Record<string, number> {
    return this.gen.report.versions;
  }

  get failures(): string[] {
    return this.gen.report.failures;
  }

  get sent(): number {
    return this.gen.report.sent;
  }

  async stop(): Promise<this> {
    await this.gen.stop();
    return this;
  }
}

export async function getText(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(url, { headers });
  return res.body.text();
}
