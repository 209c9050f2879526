/**
 * Runs actions. Every statement runs under a short lock_timeout: if a long
 * transaction holds a conflicting lock, the statement gives up (so writers
 * queued behind it go on) and is retried with backoff, instead of waiting in
 * the lock queue and stalling the application.
 */
import type pg from 'pg';
import { describeAction, type Action } from './actions.ts';
import { backfillTable } from './backfill.ts';
import { LockTimeoutError } from './errors.ts';

export interface ExecutorOptions {
  lockTimeoutMs: number;
  maxAttempts: number;
  batchSize: number;
  batchDelayMs: number;
  log: (msg: string) => void;
}

export const DEFAULT_EXECUTOR_OPTIONS: ExecutorOptions = {
  lockTimeoutMs: 500,
  maxAttempts: 40,
  batchSize: 5000,
  batchDelayMs: 0,
  log: () => {},
};

// lock_not_available, deadlock_detected: the statement lost a race for a lock and can simply run again.
const RETRYABLE = new Set(['55P03', '40P01']);

export class Executor {
  /** How many times a statement gave up on a lock and was retried (tests and status read it). */
  retries = 0;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly opts: ExecutorOptions,
  ) {}

  /** Runs statements in one transaction; `extra` runs inside it too (e.g. a state update). */
  async transaction(id: string, statements: string[], extra?: (c: pg.ClientBase) => Promise<void>, ids?: string[]): Promise<void> {
    if (statements.length === 0 && !extra) return;
    await this.retry(id, async () => {
      await this.client.query('BEGIN');
      try {
        await this.client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.opts.lockTimeoutMs))}`);
        for (const [i, sql] of statements.entries()) {
          try {
            await this.client.query(sql);
          } catch (err) {
            // Which step failed, for the error the user sees (the transaction's id names only its first).
            if (ids?.[i] && err && typeof err === 'object') (err as { cutoverStep?: string }).cutoverStep = ids[i];
            throw err;
          }
        }
        if (extra) await extra(this.client);
        await this.client.query('COMMIT');
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Logs each action, then runs them all in one transaction (with `extra` inside it too). */
  async transactionOf(id: string, actions: Action[], extra?: (c: pg.ClientBase) => Promise<void>): Promise<void> {
    for (const a of actions) this.opts.log(describeAction(a));
    await this.transaction(id, actions.map((a) => a.sql), extra, actions.map((a) => a.id));
  }

  /** Runs one action of any kind. */
  async run(action: Action): Promise<void> {
    this.opts.log(describeAction(action));
    if (action.kind === 'backfill' && action.backfill) {
      const rows = await this.retryEach(action.id, (q) => backfillTable(q, action.backfill!, this.opts));
      this.opts.log(`[${action.id}] backfilled ${rows} rows`);
    } else if (action.kind === 'concurrent') {
      await this.retry(action.id, () => this.outsideTransaction(action.sql), action.cleanup);
    } else {
      await this.transaction(action.id, [action.sql]);
    }
  }

  private async outsideTransaction(sql: string): Promise<void> {
    await this.client.query(`SET lock_timeout = ${Math.max(1, Math.round(this.opts.lockTimeoutMs))}`);
    try {
      await this.client.query(sql);
    } finally {
      await this.client.query('RESET lock_timeout');
    }
  }

  /** Backfills retry batch by batch: a batch that lost a lock runs again, earlier batches stand. */
  private retryEach<T>(id: string, fn: (query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>) => Promise<T>): Promise<T> {
    const query = async (sql: string, params: unknown[] = []) => {
      let result: pg.QueryResult | undefined;
      await this.retry(id, async () => {
        result = await this.client.query(`SET lock_timeout = ${Math.max(1, Math.round(this.opts.lockTimeoutMs))}`).then(() => this.client.query(sql, params));
      });
      return result!;
    };
    return fn(query).finally(() => this.client.query('RESET lock_timeout'));
  }

  private async retry(id: string, fn: () => Promise<void>, cleanup?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!code || !RETRYABLE.has(code)) throw err;
        if (cleanup) await this.outsideTransaction(cleanup).catch(() => undefined);
        if (attempt >= this.opts.maxAttempts) throw new LockTimeoutError(id, attempt, err);
        this.retries++;
        const wait = backoff(attempt, this.opts.lockTimeoutMs);
        this.opts.log(`[${id}] lock not available (attempt ${attempt}); retrying in ${wait}ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}

/** Exponential with jitter, capped: brief retries at first, then room for the long transaction to end. */
export function backoff(attempt: number, lockTimeoutMs: number): number {
  const base = Math.min(5000, Math.max(50, lockTimeoutMs / 2) * 2 ** Math.min(attempt - 1, 6));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
