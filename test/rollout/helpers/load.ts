/** A light keep-alive load on the proxy: counts failures and the versions that answered (test app body = version). */
import { Agent, request } from 'undici';

export class Load {
  readonly versions: Record<string, number> = {};
  readonly failures: string[] = [];
  sent = 0;
  private running = true;
  private readonly agent = new Agent({ keepAliveTimeout: 30_000 });
  private readonly loops: Promise<void>[];

  /** `clients` back-to-back loops on `/`, plus `slow` loops on /slow?ms=700 that are in flight while instances drain. */
  constructor(private readonly url: string, opts: { clients?: number; slow?: number; headers?: Record<string, string> } = {}) {
    this.headers = opts.headers ?? {};
    this.loops = [...Array.from({ length: opts.clients ?? 2 }, () => this.loop('/')), ...Array.from({ length: opts.slow ?? 1 }, () => this.loop('/slow?ms=700'))];
  }

  private readonly headers: Record<string, string>;

  private async loop(path: string): Promise<void> {
    while (this.running) {
      this.sent++;
      try {
        const res = await request(this.url + path, { dispatcher: this.agent, headers: this.headers });
        const body = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${body.slice(0, 120)}`);
        this.versions[body] = (this.versions[body] ?? 0) + 1;
      } catch (err) {
        this.failures.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<this> {
    this.running = false;
    await Promise.all(this.loops);
    await this.agent.close();
    return this;
  }
}

export async function getText(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(url, { headers });
  return res.body.text();
}
