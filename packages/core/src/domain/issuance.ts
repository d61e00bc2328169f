import { z } from 'zod';
import type { Timestamp } from '../time.js';
import type { IssuanceState } from './issuance-state.js';

/** One reward given to one customer. `cost` is fixed at creation (quantity × the reward's cost). */
export interface Issuance {
  id: string;
  tenant_id: string;
  customer_id: string;
  reward_id: string;
  /** Null for rewards bought with points (`redeemPoints`). */
  rule_id: string | null;
  /** Null for rewards bought with points. */
  event_id: string | null;
  state: IssuanceState;
  quantity: number;
  /** The reward's value at creation × quantity (points credited, for a points reward). */
  value: number;
  cost: number;
  code: string | null;
  budget_id: string | null;
  /** The budget period key the cost was charged to (`2026-11`), fixed at creation. */
  budget_period: string | null;
  /** When the triggering event occurred: what caps and cooldowns count by. */
  earned_at: Timestamp;
  created_at: Timestamp;
  issued_at: Timestamp | null;
  expires_at: Timestamp | null;
  reserve_deadline: Timestamp | null;
  redeemed_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  cancel_reason: string | null;
}

export const cancelIssuanceSchema = z.strictObject({
  reason: z.string().trim().min(1).max(500).default('cancelled'),
});
export const redeemByCodeSchema = z.strictObject({ code: z.string().trim().min(1).max(64) });
