import { type ErrorCode, LaasError, parseInput } from '@laas/core';

/** The body of every error response (DESIGN.md, "Server"). */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
    requestId: string;
  };
}

/** An error response to send: status and body. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
}

/**
 * The ONE place an error becomes an HTTP answer. A `LaasError` keeps its code, message and details
 * and gets the status of `ERROR_HTTP_STATUS`; anything else is a 500 `INTERNAL_ERROR` whose
 * message says nothing about the cause (no stack, no SQL): the cause goes to the log only.
 */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse & { internal: boolean } {
  if (error instanceof LaasError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message, requestId } };
    if (error.details !== undefined) body.error.details = { ...error.details };
    const status = error.httpStatus;
    return { status, body, internal: false };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'INTERNAL_ERROR',
        message: 'An unexpected error occurred; quote the requestId when reporting it',
        requestId,
      },
    },
    internal: true,
  };
}

/** An error that is not an engine error but still has a code: authentication, rate limits, 413. */
export function httpError(code: ErrorCode, message: string, details?: Record<string, unknown>): LaasError {
  return new LaasError(code, message, details);
}

/**
 * Parses `input` with `schema`, or throws a `ValidationError` naming the fields at fault: the
 * engine's own `parseInput` (NUL refused, issues capped), so the server and the SDK answer alike.
 */
export const parseOrThrow = parseInput;

/** A body over the size limit: `VALIDATION_ERROR`, answered with 413 rather than 400. */
export class PayloadTooLargeError extends LaasError {
  constructor(limitBytes: number) {
    super('VALIDATION_ERROR', `The request body is larger than the limit of ${limitBytes} bytes`, {
      limit_bytes: limitBytes,
    });
    this.name = 'PayloadTooLargeError';
  }
  override get httpStatus(): number {
    return 413;
  }
}

/** A body that is not JSON on a JSON route: `VALIDATION_ERROR`, answered with 415. */
export class UnsupportedMediaTypeError extends LaasError {
  constructor(contentType: string) {
    super(
      'VALIDATION_ERROR',
      `The request body must be JSON, sent with "Content-Type: application/json" (not ${JSON.stringify(contentType)})`,
      { content_type: contentType, issues: [{ path: 'content-type', message: 'must be application/json' }] },
    );
    this.name = 'UnsupportedMediaTypeError';
  }
  override get httpStatus(): number {
    return 415;
  }
}

/** Too many requests for one key: 429 with `Retry-After: <seconds>`. */
export class RateLimitError extends LaasError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, from = 'this API key') {
    super('RATE_LIMIT_EXCEEDED', `Too many requests from ${from}; retry in ${retryAfterSeconds} s`, {
      retry_after_seconds: retryAfterSeconds,
    });
    this.name = 'RateLimitError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
