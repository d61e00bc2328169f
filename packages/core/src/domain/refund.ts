import type { Timestamp } from '../time.js';

/** The event types that refund an earlier event (`return` is a synonym of `refund`). */
export const REFUND_EVENT_TYPES: readonly string[] = ['refund', 'return'];

/** Whether an event of `type` refunds an earlier one. */
export function isRefundType(type: string): boolean {
  return REFUND_EVENT_TYPES.includes(type);
}

/** The points one refund took back from one points issuance of the original event. */
export interface RefundPointsLine {
  issuance_id: string;
  /** What this refund owed back for the issuance (pro rata for amount-based points). */
  due: number;
  /** What was taken from the balance. */
  clawed: number;
  /** What the balance could not cover (`due - clawed`): recorded, never taken later. */
  shortfall: number;
}

/**
 * What a refund reversed, stored on the refund event's outcome (`outcome.refund`) and as a
 * {@link RefundRecord}.
 */
export interface RefundOutcome {
  original_event_id: string;
  /**
   * The part of the original's `data.amount` this refund took (capped by what earlier refunds
   * left), or null when the original carried no amount (then any refund is a full refund).
   */
  amount: number | null;
  /** The original is fully refunded after this refund. */
  full: boolean;
  points_clawed: number;
  points_shortfall: number;
  points: RefundPointsLine[];
  /** Reserved or issued rewards of the original, cancelled (reason `refund`). */
  cancelled_issuance_ids: string[];
  /** Rewards of the original already redeemed: they stay redeemed. */
  redeemed_issuance_ids: string[];
}

/** One refund of one original event: what it reversed. `id` is the refund event's id. */
export interface RefundRecord extends RefundOutcome {
  id: string;
  tenant_id: string;
  customer_id: string;
  created_at: Timestamp;
}

export interface RefundListFilter {
  customer_id?: string;
  original_event_id?: string;
}
