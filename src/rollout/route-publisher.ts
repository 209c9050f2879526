/**
 * Pushes the whole proxy table (every service) whenever one service's part
 * changes. Pushes are serialized; nothing is pushed until every service has
 * reported once, so a restarted controller never publishes a table that is
 * missing a service. The same table is pushed again now and then in case the
 * proxy process was restarted with an older table.
 */
import type { Logger } from '../shared/log.ts';
import type { TrafficRouter } from './interfaces.ts';
import { buildRoutes, type ServiceRouteInput } from './route-builder.ts';

const REFRESH_MS = 10_000;
/** A refusal that repeats (a certificate the proxy cannot use, a port taken) is logged again only this often. */
const REPEAT_LOG_MS = 30_000;

export class RoutePublisher {
  private readonly parts = new Map<string, ServiceRouteInput>();
  private last: string | undefined;
  private lastAt = 0;
  private chain: Promise<boolean> = Promise.resolve(true);
  private lastError: { message: string; at: number } | undefined;

  constructor(
    private readonly router: TrafficRouter,
    private readonly services: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** Records the service's part and pushes if the table changed. True once a table containing this part is live. */
  publish(part: ServiceRouteInput): Promise<boolean> {
    this.parts.set(part.name, part);
    this.chain = this.chain.then(() => this.push());
    return this.chain;
  }

  private async push(): Promise<boolean> {
    if (this.services.some((s) => !this.parts.has(s))) return false;
    const table = buildRoutes(this.services.map((s) => this.parts.get(s)!));
    const json = JSON.stringify(table);
    if (json === this.last && Date.now() - this.lastAt < REFRESH_MS) return true;
    try {
      await this.router.apply(table);
    } catch (err) {
      const message = (err as Error).message;
      const now = Date.now();
      if (this.lastError?.message !== message || now - this.lastError.at >= REPEAT_LOG_MS) {
        this.logger.error({ err }, 'could not push routes to the proxy; retrying on the next tick');
        this.lastError = { message, at: now };
      }
      this.last = undefined;
      return false;
    }
    if (this.lastError) this.logger.info('routes pushed to the proxy again');
    this.lastError = undefined;
    if (json !== this.last) this.logger.debug({ table }, 'routes pushed');
    this.last = json;
    this.lastAt = Date.now();
    return true;
  }
}
