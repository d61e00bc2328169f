import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { idSchema } from './common.js';

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
}

export const redeemPointsSchema = z.strictObject({ reward_id: idSchema });
export type RedeemPointsInput = z.input<typeof redeemPointsSchema>;
