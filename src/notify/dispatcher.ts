/**
 * The webhook dispatcher `cutover up` runs: every `pollMs` it turns new events into deliveries (enqueue.ts) and
 * starts the deliveries that are due, a few at a time. Each attempt's outcome is written to the store before the
 * next one starts: a 2xx marks it delivered; a failure schedules the next attempt (retry-delay.ts) or, at the hook's
 * maxAttempts, gives up with an error in the log and a NotificationFailed event in the same transaction. What is
 * pending survives a restart or a kill -9; an attempt cut by one is sent again with the same delivery id.
 */
import type { Logger } from '../shared/log.ts';
import type { Delivery, DeliveryQuery } from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import { enqueueNew } from './enqueue.ts';
import { NOTIFICATION_FAILED } from './notice.ts';
import { buildReport, type NotificationsReport } from './report.ts';
import { retryDelay } from './retry-delay.ts';
import { sendDelivery, type AttemptResult } from './sender.ts';
import type { Webhook } from './webhook.ts';

export interface DispatcherOptions {
  store: Store;
  webhooks: Webhook[];
  logger: Logger;
  /** How often the event logs and the due deliveries are looked at (default 200 ms). */
  pollMs?: number;
  /** Attempts in flight at once, across hooks (default 8). */
  maxInFlight?: number;
  /** For jitter (default Math.random). */
  random?: () => number;
}

export class Dispatcher {
  private readonly hooks: Map<string, Webhook>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.hooks = new Map(opts.webhooks.map((h) => [h.name, h]));
  }

  start(): void {
    const loop = () => {
      this.tick();
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs ?? 200);
    };
    loop();
  }

  /** Stops polling and cuts the attempts in flight (they stay pending and are sent again by the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await Promise.allSettled(this.inFlight.values());
  }

  /** The hooks (without URL paths or secrets) and recent deliveries, for the API. */
  report(query: DeliveryQuery = {}): NotificationsReport {
    return buildReport(this.opts.store, [...this.hooks.values()], query);
  }

  /** One pass: enqueue what the logs gained, start what is due. */
  tick(): void {
    try {
      enqueueNew(this.opts.store, [...this.hooks.values()], Date.now());
      this.fill();
    } catch (err) {
      if (!this.stopped) this.opts.logger.error({ err }, 'webhook dispatcher pass failed; trying again');
    }
  }

  /** Starts due deliveries up to maxInFlight; called by each pass and whenever an attempt ends, so a backlog drains at the receivers' pace. */
  private fill(): void {
    const max = this.opts.maxInFlight ?? 8;
    if (this.stopped || this.inFlight.size >= max) return;
    for (const d of this.opts.store.dueDeliveries(Date.now(), max + this.inFlight.size)) {
      if (this.inFlight.size >= max) break;
      if (this.inFlight.has(d.id)) continue;
      const p = this.attempt(d).finally(() => {
        this.inFlight.delete(d.id);
        try {
          this.fill();
        } catch (err) {
          if (!this.stopped) this.opts.logger.error({ err }, 'webhook dispatcher pass failed; trying again');
        }
      });
      this.inFlight.set(d.id, p);
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    const hook = this.hooks.get(d.hook);
    if (!hook) return this.drop(d);
    let r: AttemptResult;
    try {
      r = await sendDelivery(hook, d, this.abort.signal);
    } catch {
      return; // stopped mid-attempt: it stays pending, attempts unchanged
    }
    try {
      this.record(hook, d, r);
    } catch (err) {
      if (!this.stopped) this.opts.logger.error({ err, hook: hook.name, delivery: d.id }, 'could not record a webhook attempt');
    }
  }

  private record(hook: Webhook, d: Delivery, r: AttemptResult): void {
    const { store, logger } = this.opts;
    const time = Date.now();
    const attempts = d.attempts + 1;
    const base = { id: d.id, attempts, lastStatus: r.status, lastError: r.error, time };
    const about = { hook: hook.name, target: hook.origin, delivery: d.id, event: d.event, eventId: d.eventId, attempts };
    if (r.ok) {
      store.updateDelivery({ ...base, state: 'delivered', nextAttemptAt: 0 });
      logger.debug(about, 'webhook delivered');
    } else if (attempts >= hook.maxAttempts) {
      const reason = `webhook ${hook.name} gave up on ${d.event} (event ${d.eventId}) after ${attempts} attempts: ${r.error}`;
      const events = d.service === null ? [] : [{ service: d.service, time, type: NOTIFICATION_FAILED, reason, ...(d.revision !== null ? { revision: d.revision } : {}) }];
      store.updateDelivery({ ...base, state: 'failed', nextAttemptAt: 0 }, events);
      logger.error({ ...about, error: r.error }, 'webhook delivery failed; gave up');
    } else {
      const waitMs = retryDelay(attempts, hook.backoff, this.opts.random, r.retryAfterMs);
      store.updateDelivery({ ...base, state: 'pending', nextAttemptAt: time + waitMs });
      logger.warn({ ...about, error: r.error, retryInMs: waitMs }, 'webhook delivery failed; will retry');
    }
  }

  /** A delivery whose hook left cutover.yaml: given up, without an attempt. */
  private drop(d: Delivery): void {
    const lastError = `webhook "${d.hook}" is no longer in the config`;
    this.opts.store.updateDelivery({ id: d.id, state: 'failed', attempts: d.attempts, nextAttemptAt: 0, lastStatus: d.lastStatus, lastError, time: Date.now() });
    this.opts.logger.warn({ hook: d.hook, delivery: d.id, event: d.event }, `${lastError}; its pending delivery was dropped`);
  }
}
