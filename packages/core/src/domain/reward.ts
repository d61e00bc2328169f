import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { type Duration, durationSchema, idSchema, nonNegativeInt } from './common.js';

export type RewardType = 'discount_percent' | 'discount_amount' | 'voucher' | 'points' | 'item';
export type IssueMode = 'immediate' | 'manual';

/**
 * A catalog item. One unit charges `cost` to the rule's budget. A `points` reward credits
 * `value` points per unit; a `voucher` reward draws one code from its pool per issuance.
 */
export interface Reward {
  id: string;
  tenant_id: string;
  name: string;
  type: RewardType;
  /** Percent for discount_percent, minor units for discount_amount, points per unit for points. */
  value: number;
  cost: number;
  issue_mode: IssueMode;
  /** How long an issued reward stays redeemable; null: until redeemed or cancelled. */
  validity: Duration | null;
  /** How long a manual reservation may wait to be issued before `expireDue` cancels it. */
  reservation_ttl: Duration;
  /** Price in points when customers buy it with points (`redeemPoints`); null: not for sale. */
  points_price: number | null;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

const rewardFields = {
  name: z.string().trim().min(1).max(200),
  type: z.enum(['discount_percent', 'discount_amount', 'voucher', 'points', 'item']),
  value: nonNegativeInt,
  cost: nonNegativeInt,
  issue_mode: z.enum(['immediate', 'manual']),
  validity: durationSchema.nullable(),
  reservation_ttl: durationSchema,
  points_price: z.number().int().positive().nullable(),
  active: z.boolean(),
};

export const createRewardSchema = z
  .strictObject({
    id: idSchema.optional(),
    name: rewardFields.name,
    type: rewardFields.type,
    value: rewardFields.value.default(0),
    cost: rewardFields.cost.default(0),
    issue_mode: rewardFields.issue_mode.default('immediate'),
    validity: rewardFields.validity.default(null),
    reservation_ttl: rewardFields.reservation_ttl.default('7d'),
    points_price: rewardFields.points_price.default(null),
    active: rewardFields.active.default(true),
  })
  .refine((r) => r.type !== 'discount_percent' || r.value <= 100, {
    message: 'a percentage discount is at most 100',
    path: ['value'],
  })
  .refine((r) => r.type !== 'points' || r.value > 0, {
    message: 'a points reward must credit at least 1 point per unit',
    path: ['value'],
  });
export type CreateRewardInput = z.input<typeof createRewardSchema>;

export const updateRewardSchema = z.strictObject({
  name: rewardFields.name.optional(),
  value: rewardFields.value.optional(),
  cost: rewardFields.cost.optional(),
  issue_mode: rewardFields.issue_mode.optional(),
  validity: rewardFields.validity.optional(),
  reservation_ttl: rewardFields.reservation_ttl.optional(),
  points_price: rewardFields.points_price.optional(),
  active: rewardFields.active.optional(),
});
export type UpdateRewardInput = z.input<typeof updateRewardSchema>;

export const MAX_CODES_PER_UPLOAD = 10_000;
export const uploadCodesSchema = z.strictObject({
  codes: z
    .array(z.string().trim().min(1).max(64))
    .min(1)
    .max(MAX_CODES_PER_UPLOAD)
    .refine((codes) => new Set(codes).size === codes.length, {
      message: 'codes must be unique within an upload',
    }),
});
export type UploadCodesInput = z.input<typeof uploadCodesSchema>;
