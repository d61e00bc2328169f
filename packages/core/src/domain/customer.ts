import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { dateSchema, idSchema, jsonObject } from './common.js';
import { referralCodeSchema } from './referral-code.js';

export type CustomerStatus = 'active' | 'blocked' | 'erased';

/** Kept up to date by ingest; rules see them as `customer.stats`. */
export interface CustomerStats {
  /** Events per type, this event included while its rules run: `{ visit: 5, purchase: 2 }`. */
  counts: Record<string, number>;
  /** Sum of `event.amount` over `purchase` events, in minor units. */
  total_spend: number;
  /** Spendable points; equals the sum of the customer's points ledger. */
  points_balance: number;
}

export interface Customer {
  id: string;
  tenant_id: string;
  /** E.164, unique per tenant. */
  phone: string | null;
  /** The merchant's own id for the customer, unique per tenant when set. */
  external_ref: string | null;
  name: string | null;
  /** `YYYY-MM-DD`. */
  birthday: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  status: CustomerStatus;
  enrolled_at: Timestamp;
  last_event_at: Timestamp | null;
  stats: CustomerStats;
}

export const EMPTY_STATS: CustomerStats = { counts: {}, total_spend: 0, points_balance: 0 };

/**
 * The customer once an event of `type` at `at` is counted (`customers.recordEvent`): its type's
 * count up by one, `spend` added to the total, `last_event_at` the later of the two.
 */
export function withEventCounted(before: Customer, type: string, spend: number, at: string): Customer {
  const last = before.last_event_at;
  return {
    ...before,
    last_event_at: last === null || Date.parse(at) > Date.parse(last) ? at : last,
    stats: {
      ...before.stats,
      counts: { ...before.stats.counts, [type]: (before.stats.counts[type] ?? 0) + 1 },
      total_spend: before.stats.total_spend + spend,
    },
  };
}

export const phoneSchema = z
  .string()
  .regex(/^\+[1-9][0-9]{6,14}$/, { message: 'must be an E.164 phone number such as "+263771234567"' });
export const externalRefSchema = z.string().trim().min(1).max(200);
export const tagsSchema = z.array(z.string().trim().min(1).max(64)).max(50);

export const createCustomerSchema = z
  .strictObject({
    id: idSchema.optional(),
    phone: phoneSchema.optional(),
    external_ref: externalRefSchema.optional(),
    name: z.string().trim().min(1).max(200).optional(),
    birthday: dateSchema.optional(),
    attributes: jsonObject.default({}),
    tags: tagsSchema.default([]),
    /** Another customer's referral code: attributes this new customer to them (docs/referrals.md). */
    referral_code: referralCodeSchema.optional(),
  })
  .refine((c) => c.phone !== undefined || c.external_ref !== undefined, {
    message: 'a customer needs a phone or an external_ref',
    path: ['phone'],
  });
export type CreateCustomerInput = z.input<typeof createCustomerSchema>;

export const updateCustomerSchema = z.strictObject({
  phone: phoneSchema.nullable().optional(),
  external_ref: externalRefSchema.nullable().optional(),
  name: z.string().trim().min(1).max(200).nullable().optional(),
  birthday: dateSchema.nullable().optional(),
  attributes: jsonObject.optional(),
  tags: tagsSchema.optional(),
});
export type UpdateCustomerInput = z.input<typeof updateCustomerSchema>;

export const customerStatusSchema = z.strictObject({ status: z.enum(['active', 'blocked']) });

/** How an event names its customer: by id, by the merchant's ref, or by phone (first match wins). */
export const customerRefSchema = z
  .strictObject({
    id: idSchema.optional(),
    external_ref: externalRefSchema.optional(),
    phone: phoneSchema.optional(),
    name: z.string().trim().min(1).max(200).optional(),
    birthday: dateSchema.optional(),
    /** Read only when the event enrolls the customer: attributes them to the code's owner. */
    referral_code: referralCodeSchema.optional(),
  })
  .refine((c) => c.id !== undefined || c.external_ref !== undefined || c.phone !== undefined, {
    message: 'name the customer by id, external_ref or phone',
    path: ['id'],
  });
export type CustomerRef = z.infer<typeof customerRefSchema>;

/** The digits of a customer search, or null when it has fewer than 3 (too short to search phones by). */
export function searchDigits(q: string): string | null {
  const digits = q.replace(/\D/g, '');
  return digits.length >= 3 ? digits : null;
}

/**
 * Whether `customer` matches the search `q` of a customer list: its phone contains the digits of
 * `q` (only when `q` has 3 or more digits; other characters are ignored), or its `external_ref`
 * starts with `q`, or its `name` contains `q`, both compared case-insensitively. Every character
 * of `q` matches itself (`%` and `_` included). The stores answer the same in SQL.
 */
export function customerMatchesSearch(customer: Customer, q: string): boolean {
  const digits = searchDigits(q);
  if (digits !== null && (customer.phone ?? '').includes(digits)) return true;
  const lower = q.toLowerCase();
  if ((customer.external_ref ?? '').toLowerCase().startsWith(lower)) return true;
  return (customer.name ?? '').toLowerCase().includes(lower);
}

/** `text` for a SQL `LIKE ... ESCAPE '\'` pattern: `\`, `%` and `_` escaped to match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
