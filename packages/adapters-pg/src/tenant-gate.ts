import { StoreUnavailableError } from '@laas/core';

/**
 * At most `limit` transactions of one tenant at a time, so that one tenant (or one stuck customer
 * whose events all wait on a row lock) can never hold the whole pool: the other tenants always
 * find connections. A transaction that cannot start within `waitMs` fails with
 * `StoreUnavailableError` (nothing ran, so it is safe to retry). Written here rather than taken
 * from a library: it is a counter and a queue per tenant, tied to our error type.
 */
export class TenantGate {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(
    private readonly limit: number,
    private readonly waitMs: number,
  ) {}

  async run<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    await this.enter(tenantId);
    try {
      return await fn();
    } finally {
      this.leave(tenantId);
    }
  }

  private enter(tenantId: string): Promise<void> {
    const n = this.active.get(tenantId) ?? 0;
    if (n < this.limit) {
      this.active.set(tenantId, n + 1);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(tenantId) ?? [];
      this.waiting.set(tenantId, queue);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(wake);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0) this.waiting.delete(tenantId);
        reject(
          new StoreUnavailableError(
            `This tenant already has ${this.limit} transactions running and none finished within ${this.waitMs} ms`,
            { safeToRetry: false, reason: 'tenant_busy' },
          ),
        );
      }, this.waitMs);
      queue.push(wake);
    });
  }

  private leave(tenantId: string): void {
    const queue = this.waiting.get(tenantId);
    const next = queue?.shift();
    if (next !== undefined) {
      // The slot passes straight to the next waiter: the count stays the same.
      if (queue?.length === 0) this.waiting.delete(tenantId);
      next();
      return;
    }
    const n = (this.active.get(tenantId) ?? 1) - 1;
    if (n <= 0) this.active.delete(tenantId);
    else this.active.set(tenantId, n);
  }
}
