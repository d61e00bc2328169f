import { ApiError } from './api.js';

/**
 * A mistake caught before any request (an amount that is not money), shaped as the API's own
 * validation error so `Field` shows it at its field like the server's.
 */
export function localError(field: string, message: string): ApiError {
  return new ApiError(0, 'VALIDATION_ERROR', message, { issues: [{ path: field.split('.'), message }] });
}
