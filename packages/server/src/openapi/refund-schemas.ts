/**
 * The OpenAPI schemas of refunds and manual points adjustments (docs/refunds.md), checked against
 * their core types at compile time like the others in schemas.ts.
 */
import type { PointsAdjustment, RefundOutcome, RefundRecord } from '@laas/core';
import { z } from 'zod';

const ts = z.string().meta({ format: 'date-time' });

export const refundOutcomeSchema = z
  .object({
    original_event_id: z.string(),
    amount: z.number().int().nullable().meta({
      description:
        'The part of the original’s data.amount this refund took (capped by what earlier refunds left); null when the original had no amount',
    }),
    full: z.boolean().meta({ description: 'The original is fully refunded after this refund' }),
    points_clawed: z.number().int(),
    points_shortfall: z.number().int().meta({
      description: 'Points owed back that the balance could not cover (the balance never goes below 0)',
    }),
    points: z.array(
      z.object({
        issuance_id: z.string(),
        due: z.number().int(),
        clawed: z.number().int(),
        shortfall: z.number().int(),
      }),
    ),
    cancelled_issuance_ids: z.array(z.string()),
    redeemed_issuance_ids: z
      .array(z.string())
      .meta({ description: 'Rewards of the original already redeemed: they stay redeemed' }),
  })
  .meta({ id: 'RefundOutcome' });

export const refundRecordSchema = z
  .object({
    id: z.string().meta({ description: 'The refund event’s id' }),
    tenant_id: z.string(),
    customer_id: z.string(),
    created_at: ts,
    ...refundOutcomeSchema.shape,
  })
  .meta({ id: 'Refund' });

export const pointsAdjustmentSchema = z
  .object({
    customer_id: z.string(),
    amount: z.number().int(),
    reason: z.string(),
    actor: z.string().nullable(),
    balance: z.number().int().meta({ description: 'The balance after' }),
    at: ts,
  })
  .meta({ id: 'PointsAdjustment' });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
export type RefundSchemaChecks = [
  Check<Same<z.infer<typeof refundOutcomeSchema>, RefundOutcome>>,
  Check<Same<z.infer<typeof refundRecordSchema>, RefundRecord>>,
  Check<Same<z.infer<typeof pointsAdjustmentSchema>, PointsAdjustment>>,
];
