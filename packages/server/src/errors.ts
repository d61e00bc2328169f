import { ERROR_HTTP_STATUS, type ErrorCode, type FieldIssue, LaasError, ValidationError } from '@laas/core';
import type { z } from 'zod';

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
    const status = error instanceof PayloadTooLargeError ? 413 : ERROR_HTTP_STATUS[error.code];
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

/** Zod issues as field issues: `path` names the field (`customer.phone`, `caps.0.max`). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
    code: issue.code,
  }));
}

/** Parses `input` with `schema`, or throws a `ValidationError` naming every field at fault. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error);
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ValidationError(
    `Invalid ${what}: ${first ? `${first.path}: ${first.message}` : 'invalid input'}${more}`,
    issues,
  );
}

/** A body over the size limit: `VALIDATION_ERROR`, answered with 413 rather than 400. */
export class PayloadTooLargeError extends LaasError {
  readonly httpStatus413 = true;
  constructor(limitBytes: number) {
    super('VALIDATION_ERROR', `The request body is larger than the limit of ${limitBytes} bytes`, {
      limit_bytes: limitBytes,
    });
    this.name = 'PayloadTooLargeError';
  }
}

/** Too many requests for one key: 429 with `Retry-After: <seconds>`. */
export class RateLimitError extends LaasError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMIT_EXCEEDED', `Too many requests for this API key; retry in ${retryAfterSeconds} s`, {
      retry_after_seconds: retryAfterSeconds,
    });
    this.name = 'RateLimitError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
