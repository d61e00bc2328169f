import { z } from 'zod';
import { parseSecretKey } from './channels/whatsapp/secret-box.js';
import { parseRateLimit, type RateLimitConfig } from './config.js';

/**
 * Every environment variable the server and the worker read, in ONE schema, parsed before
 * anything opens or listens: a bad value stops the process with one message naming every bad
 * variable (exit code 1 from the CLI), instead of a server that listens and then breaks.
 * An empty variable counts as unset (shells and compose files often export `VAR=`).
 */

const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalString = z.preprocess(unsetIfEmpty, z.string().optional());

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\s*\d+\s*$/, { message: `must be a whole number (${min} to ${max})` })
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(min, { message: `must be at least ${min}` })
          .max(max, { message: `must be at most ${max}` }),
      )
      .optional(),
  );
}

const TRUE_WORDS = ['true', '1', 'on', 'yes'];
const FALSE_WORDS = ['false', '0', 'off', 'no'];
const flag = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .refine((s) => TRUE_WORDS.includes(s) || FALSE_WORDS.includes(s), {
      message: `must be one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`,
    })
    .transform((s) => TRUE_WORDS.includes(s))
    .optional(),
);

const rateLimit = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .transform((value, ctx): RateLimitConfig | false | undefined => {
      try {
        return parseRateLimit(value);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'must be "off" or "<capacity>/<refillPerSecond>" such as "300/150"',
        });
        return z.NEVER;
      }
    })
    .optional(),
);

/**
 * `LAAS_CORS_ORIGINS`: origins allowed to call the API from a browser, comma separated
 * (`https://shop.example,http://localhost:5173`), or `*` for any. Unset: no CORS headers at all.
 */
const corsOrigins = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .transform((value, ctx): string[] => {
      const origins = value
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      for (const origin of origins) {
        if (origin === '*') continue;
        let normal: string | undefined;
        try {
          const url = new URL(origin);
          normal = /^https?:$/.test(url.protocol) ? url.origin : undefined;
        } catch {
          normal = undefined;
        }
        if (normal === undefined || normal !== origin.replace(/\/$/, '').toLowerCase()) {
          ctx.addIssue({
            code: 'custom',
            message: `must be "*" or origins such as "https://shop.example,http://localhost:5173" (scheme, host and port only, lower case); "${origin}" is not one`,
          });
          return z.NEVER;
        }
      }
      return origins.map((o) => (o === '*' ? o : new URL(o).origin));
    })
    .optional(),
);

const POSTGRES_URL = /^postgres(ql)?:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A `postgres://` URL, a `sqlite:` URL or a file path; any other `scheme://` is refused. */
const databaseUrl = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .refine((s) => POSTGRES_URL.test(s) || /^sqlite:/i.test(s) || !ANY_SCHEME.test(s), {
      message:
        'must be a postgres:// URL, a sqlite: URL or a SQLite file path (no other database is supported)',
    })
    .optional(),
);

const envSchema = z.object({
  LAAS_DATABASE_URL: databaseUrl,
  LAAS_MIGRATE_DATABASE_URL: z.preprocess(
    unsetIfEmpty,
    z.string().regex(POSTGRES_URL, { message: 'must be a postgres:// URL (the schema owner)' }).optional(),
  ),
  LAAS_PG_SCHEMA: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case SQL identifier such as "laas"' })
      .optional(),
  ),
  PORT: integer(0, 65535),
  LAAS_HOST: optionalString,
  LAAS_ADMIN_TOKEN: optionalString,
  LAAS_METRICS_TOKEN: optionalString,
  LAAS_CORS_ORIGINS: corsOrigins,
  LAAS_JWT_SECRET: optionalString,
  LAAS_RATE_LIMIT: rateLimit,
  LAAS_API_KEY_CACHE_MS: integer(0),
  LAAS_LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ),
  LAAS_WORKER: flag,
  LAAS_WORKER_INTERVAL_MS: integer(1),
  LAAS_WEBHOOK_TIMEOUT_MS: integer(1),
  LAAS_SECRET_KEY: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .refine(
        (s) => {
          try {
            parseSecretKey(s);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must be 32 bytes written as 64 hex characters or base64 (openssl rand -hex 32)' },
      )
      .optional(),
  ),
  LAAS_WA_GRAPH_BASE: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^https?:\/\/[^/]+/i, { message: 'must be an http(s) URL' })
      .optional(),
  ),
  LAAS_WA_API_VERSION: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^v\d+(\.\d+)?$/, { message: 'must look like v21.0' })
      .optional(),
  ),
  LAAS_WEBHOOK_ALLOW_PRIVATE: flag,
  LAAS_TRUST_PROXY: flag,
  LAAS_PUBLIC_RATE_LIMIT: rateLimit,
  LAAS_PG_POOL_MAX: integer(1, 1000),
  LAAS_PG_ACQUIRE_TIMEOUT_MS: integer(1),
  LAAS_PG_LOCK_TIMEOUT_MS: integer(0),
  LAAS_PG_STATEMENT_TIMEOUT_MS: integer(0),
  LAAS_PG_TENANT_MAX_CONNECTIONS: integer(1, 1000),
  LAAS_PG_PREPARED_STATEMENTS: flag,
});

/** The environment, parsed: unset variables are `undefined` (their defaults apply downstream). */
export type LaasEnv = z.output<typeof envSchema>;

/** A bad environment: `message` names every bad variable; no stack trace is worth showing. */
export class ConfigError extends Error {
  readonly issues: ReadonlyArray<{ variable: string; message: string }>;
  constructor(issues: ReadonlyArray<{ variable: string; message: string }>) {
    super(
      `Invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join('; ')}. ` +
        'Fix the environment and start again (see the @laas/server README, "Configuration").',
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Parses the environment; throws {@link ConfigError} naming every bad variable at once. */
export function parseEnv(env: NodeJS.ProcessEnv): LaasEnv {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? '(environment)'),
    message: issue.message,
  }));
  throw new ConfigError(issues);
}

/** The PostgreSQL store options the environment sets (unset ones left out: defaults apply). */
export function pgOptionsOf(env: LaasEnv): {
  pool?: { max?: number; acquireTimeoutMs?: number };
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  tenantMaxConnections?: number;
  preparedStatements?: boolean;
} {
  const pool = {
    ...(env.LAAS_PG_POOL_MAX === undefined ? {} : { max: env.LAAS_PG_POOL_MAX }),
    ...(env.LAAS_PG_ACQUIRE_TIMEOUT_MS === undefined
      ? {}
      : { acquireTimeoutMs: env.LAAS_PG_ACQUIRE_TIMEOUT_MS }),
  };
  return {
    ...(Object.keys(pool).length === 0 ? {} : { pool }),
    ...(env.LAAS_PG_LOCK_TIMEOUT_MS === undefined ? {} : { lockTimeoutMs: env.LAAS_PG_LOCK_TIMEOUT_MS }),
    ...(env.LAAS_PG_STATEMENT_TIMEOUT_MS === undefined
      ? {}
      : { statementTimeoutMs: env.LAAS_PG_STATEMENT_TIMEOUT_MS }),
    ...(env.LAAS_PG_TENANT_MAX_CONNECTIONS === undefined
      ? {}
      : { tenantMaxConnections: env.LAAS_PG_TENANT_MAX_CONNECTIONS }),
    ...(env.LAAS_PG_PREPARED_STATEMENTS ? { preparedStatements: true } : {}),
  };
}
