/**
 * Every failure the product reports has one of these codes (DESIGN.md, "Server"). The server maps
 * a code to its HTTP status in one place: {@link ERROR_HTTP_STATUS}.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'AUTHENTICATION_ERROR'
  | 'AUTHORIZATION_ERROR'
  | 'NOT_FOUND'
  | 'STATE_CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMIT_EXCEEDED'
  | 'INTERNAL_ERROR'
  | 'STORE_UNAVAILABLE';

export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  AUTHENTICATION_ERROR: 401,
  AUTHORIZATION_ERROR: 403,
  NOT_FOUND: 404,
  STATE_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  STORE_UNAVAILABLE: 503,
};

/** One problem with one field of an input: `path` names the field (`customer.phone`, `caps.0.max`). */
export interface FieldIssue {
  path: string;
  message: string;
  code?: string;
}

export interface LaasErrorDetails {
  issues?: FieldIssue[];
  [key: string]: unknown;
}

/**
 * The one base class of every error LaaS throws on purpose. `message` is written for a merchant
 * or integrator to act on; `details` names the fields involved.
 */
export class LaasError extends Error {
  readonly code: ErrorCode;
  readonly details: LaasErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: LaasErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LaasError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_HTTP_STATUS[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; details?: LaasErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * At most this many issues are listed in an error's `details` (with `issue_count`, the total): a
 * body with 50,000 unknown keys must not get an answer larger than itself.
 */
export const MAX_LISTED_ISSUES = 20;

/**
 * An input failed validation; `details.issues` lists the fields at fault (the first
 * {@link MAX_LISTED_ISSUES}; `details.issue_count` is the total). Nothing was written.
 */
export class ValidationError extends LaasError {
  readonly issues: FieldIssue[];
  constructor(message: string, issues: FieldIssue[]) {
    const listed = issues.slice(0, MAX_LISTED_ISSUES);
    super(
      'VALIDATION_ERROR',
      message,
      issues.length > listed.length ? { issues: listed, issue_count: issues.length } : { issues: listed },
    );
    this.name = 'ValidationError';
    this.issues = listed;
  }
}

/**
 * A well-formed input whose value the current state refuses: an `occurred_at` outside the
 * tenant's window, a total that would pass the maximum. `VALIDATION_ERROR` naming the field,
 * answered with HTTP 422 (the request is understood, and cannot be processed as sent).
 */
export class UnprocessableInputError extends ValidationError {
  constructor(message: string, issues: FieldIssue[]) {
    super(message, issues);
    this.name = 'UnprocessableInputError';
  }
  override get httpStatus(): number {
    return 422;
  }
}

export class NotFoundError extends LaasError {
  constructor(entity: string, id: string, details?: LaasErrorDetails) {
    super('NOT_FOUND', `${entity} ${JSON.stringify(id)} was not found`, { entity, id, ...details });
    this.name = 'NotFoundError';
  }
}

/**
 * The operation does not fit the current state: a transition the issuance state machine does
 * not have, or a unique value that is already taken. `details.state` names the current state.
 */
export class StateConflictError extends LaasError {
  constructor(message: string, details?: LaasErrorDetails) {
    super('STATE_CONFLICT', message, details);
    this.name = 'StateConflictError';
  }
}

/**
 * A transaction of one tenant was asked to write a row carrying another tenant's id: refused by
 * every store alike (invariant 7), before anything is written.
 */
export class ForeignTenantRowError extends StateConflictError {
  constructor(entity: string, rowTenantId: string, txTenantId: string) {
    super(
      `A ${entity} of tenant ${JSON.stringify(rowTenantId)} cannot be written in a transaction of tenant ${JSON.stringify(txTenantId)}`,
      { entity, tenant_id: rowTenantId },
    );
    this.name = 'ForeignTenantRowError';
  }
}

export class IdempotencyKeyReusedError extends LaasError {
  constructor(key: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency key ${JSON.stringify(key)} was already used with a different payload; use a new key for a new request`,
      { idempotencyKey: key },
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}

/**
 * The database is away or stuck: a connection was lost, the pool had no connection in time, a
 * lock or a statement ran past its timeout, the disk is full, or the database stayed busy. The
 * request may succeed when sent again after `retryAfterSeconds` (with the same Idempotency-Key:
 * when the first attempt did commit, the retry gets its stored answer).
 *
 * `safeToRetry` tells the engine whether the transaction certainly did not commit (the failure
 * came before COMMIT was sent), so that it may run it again itself. A connection lost while
 * COMMIT was in flight leaves the outcome unknown: `safeToRetry` is false and only the caller's
 * retry with its idempotency key can resolve it.
 */
export class StoreUnavailableError extends LaasError {
  readonly retryAfterSeconds: number;
  readonly safeToRetry: boolean;
  constructor(
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; safeToRetry?: boolean; reason?: string } = {},
  ) {
    super(
      'STORE_UNAVAILABLE',
      message,
      {
        retry_after_seconds: options.retryAfterSeconds ?? 1,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      },
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'StoreUnavailableError';
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.safeToRetry = options.safeToRetry ?? false;
  }
}

export function isLaasError(error: unknown): error is LaasError {
  return error instanceof LaasError;
}

/** `value`, or `NotFoundError` for `entity` `id` when it is null. */
export function orNotFound<T>(value: T | null, entity: string, id: string): T {
  if (value === null) throw new NotFoundError(entity, id);
  return value;
}
