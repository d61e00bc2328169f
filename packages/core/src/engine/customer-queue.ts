import { StoreUnavailableError } from '../errors.js';

/**
 * Events of one customer are serialised by the database anyway (ingest locks the customer's
 * row). Queueing them here first, in memory, keeps that wait from holding a database connection:
 * when a customer's row is stuck (a slow integration, an operator's open transaction), only the
 * first of their events waits on the lock (and fails at the store's lock timeout); the others
 * wait here and cost no connection, so every other customer keeps the whole pool. A queued event
 * that waited `maxWaitMs` fails with `STORE_UNAVAILABLE` (nothing ran: safe to retry).
 *
 * Per process: several processes still meet at the row lock, which stays what keeps it exact.
 */
export class CustomerQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly maxWaitMs: number) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = before === undefined ? mine : before.then(() => mine);
    this.tails.set(key, tail);
    try {
      if (before !== undefined) await this.waitFor(before);
      return await fn();
    } finally {
      done();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  private waitFor(before: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreUnavailableError(
              `Earlier events of this customer have been waiting on the database for more than ${this.maxWaitMs} ms`,
              { safeToRetry: false, reason: 'customer_busy', retryAfterSeconds: 2 },
            ),
          ),
        this.maxWaitMs,
      );
    });
    return Promise.race([before, timeout]).finally(() => clearTimeout(timer));
  }
}

/** The queue key of an event's customer: the same reference, the same queue. */
export function customerKey(
  tenantId: string,
  ref: { id?: string; external_ref?: string; phone?: string },
): string {
  return [tenantId, ref.id ?? '', ref.external_ref ?? '', ref.phone ?? ''].join('\u0000');
}
