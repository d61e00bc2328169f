import type { Logger } from 'pino';

/** A token bucket per API key: `capacity` requests at once, refilled at `refillPerSecond`. */
export interface RateLimitConfig {
  capacity: number;
  refillPerSecond: number;
}

/** What `createServer` needs beyond the engine and the store. Frozen at start-up. */
export interface ServerConfig {
  /**
   * The platform admin token (creates tenants, may do anything). Compared in constant time.
   * Undefined: no platform admin (tenants are then created through the engine or the CLI).
   */
  adminToken?: string | undefined;
  /** HS256 secret of the optional JWTs (`tenant_id` and `role` claims). Undefined: JWTs refused. */
  jwtSecret?: string | undefined;
  /** Per-key token bucket, or `false` for none. Default `{ capacity: 300, refillPerSecond: 150 }`. */
  rateLimit?: RateLimitConfig | false;
  /** Largest request body in bytes; beyond it 413. Default 1 MiB (a 10,000-code upload fits). */
  bodyLimitBytes?: number;
  /** The pino logger; default JSON lines on stdout at `info`. */
  logger?: Logger;
  /** Also collect prom-client's default process metrics (CPU, memory, event loop). Default false. */
  defaultMetrics?: boolean;
  /**
   * How long an API key looked up by hash is remembered, in ms (default 0: every request reads the
   * database). Revocations through this process apply at once; through another process, within this.
   */
  apiKeyCacheMs?: number;
  /** How long stored Idempotency-Key responses are kept at least (documented; used by the purge). */
  idempotencyRetentionHours?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { capacity: 300, refillPerSecond: 150 };
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_IDEMPOTENCY_RETENTION_HOURS = 24;

/** The configuration with every default filled in. */
export interface ResolvedConfig {
  readonly adminToken: string | undefined;
  readonly jwtSecret: string | undefined;
  readonly rateLimit: RateLimitConfig | false;
  readonly bodyLimitBytes: number;
  readonly defaultMetrics: boolean;
  readonly idempotencyRetentionHours: number;
}

export function resolveConfig(config: ServerConfig = {}): ResolvedConfig {
  const rateLimit = config.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (rateLimit !== false && (!(rateLimit.capacity >= 1) || !(rateLimit.refillPerSecond > 0))) {
    throw new Error('rateLimit needs capacity >= 1 and refillPerSecond > 0 (or false to turn it off)');
  }
  return Object.freeze({
    adminToken: config.adminToken || undefined,
    jwtSecret: config.jwtSecret || undefined,
    rateLimit: rateLimit === false ? false : Object.freeze({ ...rateLimit }),
    bodyLimitBytes: config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    defaultMetrics: config.defaultMetrics ?? false,
    idempotencyRetentionHours: config.idempotencyRetentionHours ?? DEFAULT_IDEMPOTENCY_RETENTION_HOURS,
  });
}

/**
 * Parses `LAAS_RATE_LIMIT`: `off`, or `<capacity>/<refillPerSecond>` (`300/150`). Undefined or
 * empty: the default.
 */
export function parseRateLimit(value: string | undefined): RateLimitConfig | false | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^(off|false|0|none)$/i.test(value.trim())) return false;
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  if (!match)
    throw new Error(`LAAS_RATE_LIMIT must be "off" or "<capacity>/<refillPerSecond>", not ${value}`);
  return { capacity: Number(match[1]), refillPerSecond: Number(match[2]) };
}
