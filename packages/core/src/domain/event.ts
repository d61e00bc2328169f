import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { isAmount, jsonObject, PAST_MAX_AMOUNT, timestampSchema } from './common.js';
import { customerRefSchema } from './customer.js';
import type { RefundOutcome } from './refund.js';

export type DecisionOutcome =
  | 'issued'
  | 'reserved'
  | 'not_matched'
  | 'cooldown'
  | 'cap_reached'
  | 'budget_exhausted'
  | 'codes_exhausted'
  | 'campaign_inactive'
  /** The rule could not be applied as written (a quantity out of range); the reason says why. */
  | 'error';

/** What one rule decided for one event, with the reason in words. */
export interface Decision {
  rule_id: string;
  rule_name: string;
  outcome: DecisionOutcome;
  reason: string;
  issuance_id?: string;
  quantity?: number;
}

/** The stored result of an event: returned again, unchanged, on an idempotent replay. */
export interface EventOutcome {
  event_id: string;
  customer_id: string;
  enrolled: boolean;
  decisions: Decision[];
  issuance_ids: string[];
  /** A `refund` or `return` event: what it reversed of the original event. */
  refund?: RefundOutcome;
}

export interface LoyaltyEvent {
  id: string;
  tenant_id: string;
  customer_id: string;
  type: string;
  occurred_at: Timestamp;
  data: Record<string, unknown>;
  idempotency_key: string;
  /** SHA-256 of the canonical JSON of the input, to tell a replay from a key reuse. */
  payload_hash: string;
  outcome: EventOutcome | null;
  created_at: Timestamp;
}

export const eventTypeSchema = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, {
  message: 'must be lower-case letters, digits, "_", "." or "-", like "purchase"',
});

export const idempotencyKeySchema = z.string().min(1).max(255);

/**
 * An event to ingest. `data.amount` (minor units, integer) is what purchase rules and total spend
 * read; everything in `data` is visible to rules as `event.<field>`.
 */
export const ingestEventSchema = z.strictObject({
  idempotency_key: idempotencyKeySchema,
  type: eventTypeSchema,
  occurred_at: timestampSchema.optional(),
  customer: customerRefSchema,
  data: jsonObject
    .refine(
      (d) =>
        d.amount === undefined ||
        (typeof d.amount === 'number' && Number.isInteger(d.amount) && d.amount >= 0),
      {
        message: 'amount must be a non-negative whole number of minor units (cents)',
        path: ['amount'],
      },
    )
    .refine((d) => typeof d.amount !== 'number' || !Number.isInteger(d.amount) || isAmount(d.amount), {
      ...PAST_MAX_AMOUNT,
      path: ['amount'],
    })
    .default({}),
});
export type IngestEventInput = z.input<typeof ingestEventSchema>;
export type IngestEvent = z.output<typeof ingestEventSchema>;

/**
 * An event to dry-run: as {@link ingestEventSchema}, but the idempotency key may be left out (a
 * dry run writes nothing, so there is nothing to deduplicate; the engine makes a key up).
 */
export const dryRunEventSchema = ingestEventSchema.extend({
  idempotency_key: idempotencyKeySchema.optional(),
});
export type DryRunEventInput = z.input<typeof dryRunEventSchema>;
