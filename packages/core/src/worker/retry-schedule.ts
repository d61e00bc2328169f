/**
 * When a failed webhook delivery is tried again. The first attempt is immediate; after the n-th
 * failed attempt the delivery waits `schedule[n - 1]` (± jitter); after the last one it gives up.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: ten attempts over about three days. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = Object.freeze([
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
]);

/** The longest `Retry-After` honoured (a receiver asking for a week gets a day). */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * The wait before the next attempt after `attempts` failed ones, or null when the schedule is
 * spent. `jitter` spreads retries of many deliveries (0.1: ±10 %); a `retryAfterMs` from a 429 or
 * 503 answer replaces the schedule's delay.
 */
export function nextRetryDelay(
  attempts: number,
  options: {
    schedule: readonly number[];
    jitter: number;
    random: () => number;
    retryAfterMs?: number | null;
  },
): number | null {
  const planned = options.schedule[attempts - 1];
  if (planned === undefined) return null;
  if (options.retryAfterMs !== undefined && options.retryAfterMs !== null) {
    return Math.min(Math.max(options.retryAfterMs, 0), MAX_RETRY_AFTER_MS);
  }
  const spread = planned * options.jitter * (2 * options.random() - 1);
  return Math.max(0, Math.round(planned + spread));
}

/**
 * A `Retry-After` header in milliseconds from `now`: delta-seconds (`120`) or an HTTP date; null
 * when absent or unparseable.
 */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
