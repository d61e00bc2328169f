import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { isUuid } from '../ids.js';
import { isValidTimeZone } from '../time.js';

/**
 * The one maximum of every money amount (minor units), points figure, limit, cost, value and
 * quantity: 10^12 (ten billion dollars in cents). Any single figure past it is refused at input;
 * a figure computed at ingest past it is a rule's `error` decision; a customer's total past it
 * refuses the event. Chosen so that thousands of figures at the maximum still add up far below
 * 2^53 (JavaScript's exact integers) and PostgreSQL's bigint.
 */
export const MAX_AMOUNT = 1_000_000_000_000;

/**
 * The zod issue of a figure past {@link MAX_AMOUNT}: input parsing answers it with HTTP 422
 * (well-formed, and more than LaaS holds) rather than 400.
 */
export const PAST_MAX_AMOUNT = {
  message: `must be within ${MAX_AMOUNT} (the maximum amount, 10^12)`,
  params: { laas: 'max_amount' },
} as const;

/** Integer amounts: money in minor units (cents) and points, within ±{@link MAX_AMOUNT}. */
export const intAmount = z
  .number()
  .int()
  .refine((n) => Math.abs(n) <= MAX_AMOUNT, PAST_MAX_AMOUNT);

/** True when `n` is a whole number from 0 to {@link MAX_AMOUNT}. */
export function isAmount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_AMOUNT;
}
export const nonNegativeInt = intAmount.nonnegative();
export const positiveInt = intAmount.positive();

export const idSchema = z.string().uuid();
export const timestampSchema = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());
export const dateSchema = z.iso.date();
export const timeZoneSchema = z
  .string()
  .refine(isValidTimeZone, { message: 'must be an IANA time zone such as "Africa/Harare" or "UTC"' });
export const jsonObject = z.record(z.string(), z.unknown());

/**
 * A duration written the way a merchant says it: a positive integer and a unit, `30m`, `12h`,
 * `7d`, `2w` (minutes, hours, days, weeks). Stored as written; converted with {@link durationMs}.
 */
export type Duration = string;
const DURATION_RE = /^([1-9][0-9]{0,5})(m|h|d|w)$/;
export const durationSchema = z
  .string()
  .regex(DURATION_RE, { message: 'must be a number and a unit, like "30m", "12h", "7d" or "2w"' });

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export function durationMs(duration: Duration): number {
  const match = DURATION_RE.exec(duration);
  if (!match) throw new Error(`invalid duration ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A page of a list, newest first; pass `next_cursor` back as `cursor` for the next page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** `limit` is capped at {@link MAX_PAGE_LIMIT}; `cursor` is opaque. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;
/**
 * The number of rows a store returns for `page`: at least 1, at most {@link MAX_PAGE_LIMIT}, the
 * same on every store whatever a caller of the port passes.
 */
export function pageLimit(page: PageRequest): number {
  return Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.trunc(page.limit) || 1));
}

export const pageRequestSchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().max(200).optional(),
});

/** Cursors encode the id of the last row returned; rows are ordered by id (UUIDv7) descending. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}
/**
 * The id a cursor encodes. A cursor that is not one this API handed out (garbage, a cursor of an
 * older format, a truncated copy) is a `ValidationError` naming `cursor`, on every list and every
 * store, rather than silently the first page.
 */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!isUuid(id) || encodeCursor(id) !== cursor) {
    throw new ValidationError('The cursor is not valid: pass back a next_cursor this list returned', [
      { path: 'cursor', message: 'is not a cursor of this list' },
    ]);
  }
  return id;
}
