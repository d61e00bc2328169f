import { createHash } from 'node:crypto';
import { ValidationError } from '@laas/core';

/** PROTOCOLS.md: up to 255 characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Reads an `Idempotency-Key` header: the bare form or the IETF draft's quoted form (`"abc"`).
 * Undefined when absent; a `ValidationError` when empty or longer than 255 characters.
 */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new ValidationError('The Idempotency-Key header must hold 1 to 255 characters', [
      { path: 'Idempotency-Key', message: 'must hold 1 to 255 characters' },
    ]);
  }
  return key;
}

/** The request fingerprint stored with a key: SHA-256 of method, path and the raw body. */
export function requestFingerprint(method: string, path: string, rawBody: string): string {
  return createHash('sha256').update(`${method.toUpperCase()}\n${path}\n${rawBody}`, 'utf8').digest('hex');
}
