import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER_RE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Whether `header` (`X-Hub-Signature-256: sha256=<hex>`) is the HMAC-SHA256 of the exact request
 * bytes keyed with one of `appSecrets`. Compared in constant time; a missing or malformed header
 * is simply false. Runs on the raw bytes, before anything parses them.
 */
export function verifySignature(raw: Uint8Array, header: string | undefined, appSecret: string): boolean {
  const match = HEADER_RE.exec(header?.trim() ?? '');
  if (match === null) return false;
  const given = Buffer.from(match[1] as string, 'hex');
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value Meta would send for `raw` (tests and the docs' curl example). */
export function signPayload(raw: Uint8Array | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** Whether a header is present at all and shaped like a signature (cheap early refusal). */
export function looksSigned(header: string | undefined): boolean {
  return HEADER_RE.test(header?.trim() ?? '');
}
