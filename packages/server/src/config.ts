import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { parseSecretKey } from './channels/whatsapp/secret-box.js';

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
  /**
   * `LAAS_SECRET_KEY`: the key (32 bytes, as 64 hex characters or base64) that encrypts the
   * secrets stored in the database (WhatsApp access tokens and app secrets, AES-256-GCM).
   * Undefined: WhatsApp settings cannot be saved (and stored ones cannot be used).
   */
  secretKey?: string | undefined;
  /** The WhatsApp Cloud API client. */
  whatsapp?: WhatsAppClientConfig;
  /**
   * `LAAS_WEBHOOK_ALLOW_PRIVATE`: accept webhook URLs that are `http` or point at loopback,
   * private, link-local addresses (development and tests only). Default false.
   */
  webhookAllowPrivate?: boolean;
  /**
   * `LAAS_TRUST_PROXY`: a proxy in front sets `X-Forwarded-For`, and its first address is the
   * caller's (for USSD `allowed_ips` and the public routes' rate limit). Default false: the
   * socket's address, the header ignored (any caller can write it).
   */
  trustProxy?: boolean;
  /**
   * `LAAS_PUBLIC_RATE_LIMIT`: a token bucket per source address on the public routes (USSD and
   * WhatsApp callbacks), or `false`. Default {@link DEFAULT_PUBLIC_RATE_LIMIT}.
   */
  publicRateLimit?: RateLimitConfig | false;
  /**
   * `LAAS_METRICS_TOKEN`: when set, `GET /metrics` needs `Authorization: Bearer <this token>`
   * (401 with `WWW-Authenticate` otherwise). Default unset: `/metrics` is open (keep it off the
   * public network).
   */
  metricsToken?: string | undefined;
  /**
   * `LAAS_CORS_ORIGINS`: the origins a browser may call the API from (`*`: any). Default none: no
   * CORS headers, preflights answered 404.
   */
  corsOrigins?: readonly string[];
}

/** How the server talks to Meta's Graph API (tests point it at a fake on 127.0.0.1). */
export interface WhatsAppClientConfig {
  /** `LAAS_WA_GRAPH_BASE`; default {@link DEFAULT_WA_GRAPH_BASE}. */
  graphBase?: string | undefined;
  /** `LAAS_WA_API_VERSION`; default {@link DEFAULT_WA_API_VERSION}. */
  apiVersion?: string | undefined;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Timeout of one send, default 15 000 ms. */
  timeoutMs?: number;
  /**
   * Waits before the quick in-process retries of a send refused with error 130429 (rate limit);
   * default `[500, 2000]`. After them the message stays queued for the worker.
   */
  quickRetryDelaysMs?: readonly number[];
}

export const DEFAULT_WA_GRAPH_BASE = 'https://graph.facebook.com';
export const DEFAULT_WA_API_VERSION = 'v21.0';

/** {@link WhatsAppClientConfig} with its defaults. */
export interface ResolvedWhatsAppClientConfig {
  readonly graphBase: string;
  readonly apiVersion: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly quickRetryDelaysMs: readonly number[];
}

/** Fills in the defaults and checks the Graph base URL and API version. */
export function resolveWhatsAppClient(config: WhatsAppClientConfig = {}): ResolvedWhatsAppClientConfig {
  const graphBase = (config.graphBase || DEFAULT_WA_GRAPH_BASE).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/i.test(graphBase)) {
    throw new Error(`LAAS_WA_GRAPH_BASE must be an http(s) URL, not ${graphBase}`);
  }
  const apiVersion = config.apiVersion || DEFAULT_WA_API_VERSION;
  if (!/^v\d+(\.\d+)?$/.test(apiVersion)) {
    throw new Error(`LAAS_WA_API_VERSION must look like v21.0, not ${apiVersion}`);
  }
  return Object.freeze({
    graphBase,
    apiVersion,
    fetch: config.fetch ?? globalThis.fetch.bind(globalThis),
    timeoutMs: config.timeoutMs ?? 15_000,
    quickRetryDelaysMs: Object.freeze([...(config.quickRetryDelaysMs ?? [500, 2000])]),
  });
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { capacity: 300, refillPerSecond: 150 };
/**
 * Per source address on the public routes: 600 at once, then 60 a second. A gateway sends every
 * customer's sessions from a few addresses, so this is generous; it stops one address flooding.
 */
export const DEFAULT_PUBLIC_RATE_LIMIT: RateLimitConfig = { capacity: 600, refillPerSecond: 60 };
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
  /** The key of stored secrets, or undefined when `LAAS_SECRET_KEY` is unset. */
  readonly secretKey: KeyObject | undefined;
  readonly whatsapp: ResolvedWhatsAppClientConfig;
  readonly webhookAllowPrivate: boolean;
  readonly trustProxy: boolean;
  readonly publicRateLimit: RateLimitConfig | false;
  readonly metricsToken: string | undefined;
  readonly corsOrigins: readonly string[];
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
    secretKey: config.secretKey ? parseSecretKey(config.secretKey) : undefined,
    whatsapp: resolveWhatsAppClient(config.whatsapp),
    webhookAllowPrivate: config.webhookAllowPrivate ?? false,
    trustProxy: config.trustProxy ?? false,
    publicRateLimit: config.publicRateLimit ?? DEFAULT_PUBLIC_RATE_LIMIT,
    metricsToken: config.metricsToken || undefined,
    corsOrigins: Object.freeze([...(config.corsOrigins ?? [])]),
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
