import type { Engine } from '@laas/core';
import { DEFAULT_IDEMPOTENCY_RETENTION_HOURS } from './config.js';

/**
 * Forgets stored Idempotency-Key responses older than `retentionHours` (default 24) in every
 * tenant, and returns how many went. The background worker (`createWorker`) purges each tenant's
 * keys once an hour by itself; this is for a one-off run (e.g. a cron job when the worker is off).
 */
export async function purgeIdempotencyKeys(
  engine: Engine,
  options: { retentionHours?: number; now?: Date } = {},
): Promise<number> {
  const hours = options.retentionHours ?? DEFAULT_IDEMPOTENCY_RETENTION_HOURS;
  if (!(hours >= 24)) throw new Error('Idempotency keys are kept at least 24 hours');
  const before = new Date((options.now ?? new Date()).getTime() - hours * 3_600_000);
  let purged = 0;
  let cursor: string | undefined;
  do {
    const page = await engine.store.platform.listTenants({ limit: 200, cursor });
    for (const tenant of page.items) purged += await engine.purgeIdempotencyKeys(tenant.id, before);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return purged;
}
