import { StoreUnavailableError, TransientStoreError, UniqueViolationError } from '@laas/core';

/** The unique constraints of the schema, by name: which entity and which field each protects. */
const UNIQUE_CONSTRAINTS: Readonly<Record<string, readonly [entity: string, field: string]>> = {
  tenants_pkey: ['tenant', 'id'],
  customers_pkey: ['customer', 'id'],
  customers_phone_key: ['customer', 'phone'],
  customers_external_ref_key: ['customer', 'external_ref'],
  events_pkey: ['event', 'id'],
  events_idempotency_key_key: ['event', 'idempotency_key'],
  rules_pkey: ['rule', 'id'],
  rewards_pkey: ['reward', 'id'],
  reward_codes_pkey: ['code', 'code'],
  issuances_pkey: ['issuance', 'id'],
  budgets_pkey: ['budget', 'id'],
  budget_periods_pkey: ['budget period', 'period'],
  budget_ledger_pkey: ['budget ledger entry', 'id'],
  points_lots_pkey: ['points lot', 'id'],
  points_ledger_pkey: ['points ledger entry', 'id'],
  campaigns_pkey: ['campaign', 'id'],
  cap_counters_pkey: ['cap counter', 'window_key'],
  webhook_subscriptions_pkey: ['webhook subscription', 'id'],
  outbox_pkey: ['outbox event', 'id'],
  api_keys_pkey: ['api key', 'id'],
  api_keys_key_hash_key: ['api key', 'key_hash'],
  idempotency_keys_pkey: ['idempotency record', 'key'],
  referral_codes_pkey: ['referral code', 'customer_id'],
  referral_codes_code_key: ['referral code', 'code'],
  referrals_pkey: ['referral', 'referee_id'],
};

interface PgError {
  code?: unknown;
  constraint?: unknown;
}

function pgCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as PgError).code;
  return typeof code === 'string' ? code : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return pgCode(error) === '23505';
}

/** SQLSTATE classes and codes that mean the connection or the server went away. */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Node socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** What pg and pg-pool say when a connection ends, cannot be made in time, or is broken. */
const LOST_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /Client was closed/i,
  /connection (is )?(closed|ended)/i,
  /terminating connection/i,
];

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The database is away or stuck (connection lost, none could be had in time, a lock or statement
 * timeout): `StoreUnavailableError`, or undefined when `error` is something else. `safeToRetry`
 * is true here; the store downgrades it when the failure may have hit a COMMIT in flight.
 */
export function unavailableError(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  const code = pgCode(error);
  if (code === '55P03') {
    return new StoreUnavailableError(
      'A row this request needs is locked by another transaction past the lock timeout; retry shortly',
      { cause: error, safeToRetry: false, reason: 'lock_timeout', retryAfterSeconds: 2 },
    );
  }
  if (code === '57014') {
    return new StoreUnavailableError('The database did not answer within the statement timeout', {
      cause: error,
      safeToRetry: false,
      reason: 'statement_timeout',
      retryAfterSeconds: 2,
    });
  }
  const lost =
    (code !== undefined &&
      (CONNECTION_LOST_CODES.has(code) || code.startsWith('08') || SOCKET_CODES.has(code))) ||
    LOST_MESSAGES.some((re) => re.test(messageOf(error)));
  if (!lost) return undefined;
  return new StoreUnavailableError(
    `The database connection was lost or could not be made (${code ?? messageOf(error)})`,
    {
      cause: error,
      safeToRetry: true,
      reason: 'connection',
    },
  );
}

/**
 * Turns a driver error into the error the ports promise: a unique violation (SQLSTATE 23505)
 * becomes `UniqueViolationError` naming the field its constraint protects; a deadlock (40P01) or a
 * serialization failure (40001) becomes `TransientStoreError`; a lost connection, a pool or lock or
 * statement timeout becomes `StoreUnavailableError`. Anything else is returned as is.
 */
export function translateError(error: unknown): unknown {
  const code = pgCode(error);
  if (code === '23505') {
    const constraint = (error as PgError).constraint;
    const known = typeof constraint === 'string' ? UNIQUE_CONSTRAINTS[constraint] : undefined;
    const violation = new UniqueViolationError(known?.[0] ?? 'row', known?.[1] ?? 'id');
    (violation as { cause?: unknown }).cause = error;
    return violation;
  }
  if (code === '40P01' || code === '40001') {
    return new TransientStoreError(
      `PostgreSQL aborted the transaction (${code}); it may succeed if run again`,
      {
        cause: error,
      },
    );
  }
  return unavailableError(error) ?? error;
}

/** Runs `fn`, rethrowing its error through {@link translateError}. */
export async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateError(error);
  }
}
