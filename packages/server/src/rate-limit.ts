import type { RateLimitConfig } from './config.js';

/**
 * Token buckets in memory, one per key: each request takes one token; tokens come back at
 * `refillPerSecond` up to `capacity`. Per process: N processes allow N times the rate.
 */
export function createRateLimiter(config: RateLimitConfig, now: () => number = () => performance.now()) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillPerMs = config.refillPerSecond / 1000;

  return {
    /** Takes a token for `key`: 0 when allowed, else the seconds to wait before retrying (>= 1). */
    take(key: string): number {
      const t = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= 100_000) buckets.clear(); // bounded memory; a full bucket is the default
        bucket = { tokens: config.capacity, at: t };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = Math.min(config.capacity, bucket.tokens + (t - bucket.at) * refillPerMs);
        bucket.at = t;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
