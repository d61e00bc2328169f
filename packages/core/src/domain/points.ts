import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { idSchema, isAmount, PAST_MAX_AMOUNT } from './common.js';

/** Points earned together; spending takes the lots that expire first. */
export interface PointsLot {
  id: string;
  tenant_id: string;
  customer_id: string;
  issuance_id: string | null;
  earned_at: Timestamp;
  expires_at: Timestamp | null;
  amount: number;
  remaining: number;
}

export type PointsLedgerKind = 'earn' | 'redeem' | 'expire' | 'adjust';

/** One change of a balance; `amount` is signed (earn > 0, redeem and expire < 0). */
export interface PointsLedgerEntry {
  id: string;
  tenant_id: string;
  customer_id: string;
  kind: PointsLedgerKind;
  amount: number;
  lot_id: string | null;
  issuance_id: string | null;
  at: Timestamp;
  /**
   * Why, in words, for rows not written by a plain earn, spend or expiry: a manual adjustment's
   * reason, `refund of event <id>` for a clawback, `reward cancelled` for points given back.
   */
  reason: string | null;
  /** Who made a manual adjustment: the API key id, `platform`, or a JWT's subject; else null. */
  actor: string | null;
}

export const redeemPointsSchema = z.strictObject({ reward_id: idSchema });
export type RedeemPointsInput = z.input<typeof redeemPointsSchema>;

/** The most characters a manual adjustment's reason may have. */
export const MAX_ADJUSTMENT_REASON = 500;

/** A manual adjustment of a customer's points: `amount` > 0 credits, < 0 debits. */
export const adjustPointsSchema = z.strictObject({
  amount: z
    .number()
    .int()
    .refine((n) => n !== 0, { message: 'must not be 0: positive credits, negative debits' })
    .refine((n) => isAmount(Math.abs(n)), PAST_MAX_AMOUNT),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(MAX_ADJUSTMENT_REASON)
    .refine((r) => !r.includes('\u0000'), { message: 'must not contain NUL' }),
});
export type AdjustPointsInput = z.input<typeof adjustPointsSchema>;

/** What a manual adjustment did. */
export interface PointsAdjustment {
  customer_id: string;
  amount: number;
  reason: string;
  actor: string | null;
  /** The balance after. */
  balance: number;
  at: string;
}
