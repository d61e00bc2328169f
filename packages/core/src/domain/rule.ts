import { z } from 'zod';
import type { Timestamp } from '../time.js';
import {
  type Duration,
  durationSchema,
  idSchema,
  MAX_AMOUNT,
  PAST_MAX_AMOUNT,
  timestampSchema,
} from './common.js';
import { eventTypeSchema } from './event.js';

/** A calendar window in the tenant's time zone, all time, or a rolling duration before the event. */
export type CapWindow = 'day' | 'week' | 'month' | 'year' | 'lifetime' | { rolling: Duration };

/**
 * At most `max` issuances of the rule per window: per customer, or for all customers together
 * (`global`). Every issuance counts, whatever state it is in later (a cancelled reward does not
 * give its place back), so a cap means "handed out at most N times".
 */
export interface Cap {
  scope: 'customer' | 'global';
  max: number;
  window: CapWindow;
}

export interface Rule {
  id: string;
  tenant_id: string;
  name: string;
  /** Lower runs first; ties run in creation order. */
  priority: number;
  active: boolean;
  event_types: string[];
  /** JsonLogic over `{ event, customer, tenant, now }`; `true` always matches. */
  condition: unknown;
  reward_id: string;
  /** JsonLogic giving a positive integer number of reward units; default 1. */
  quantity: unknown;
  caps: Cap[];
  /** Minimum time between two issuances of this rule to one customer. */
  cooldown: Duration | null;
  /** Stop evaluating lower-priority rules after this one issued or reserved. */
  stop_processing: boolean;
  campaign_id: string | null;
  budget_id: string | null;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  /** Increments on every update. */
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export const capWindowSchema = z.union([
  z.enum(['day', 'week', 'month', 'year', 'lifetime']),
  z.strictObject({ rolling: durationSchema }),
]);

export const capSchema = z.strictObject({
  scope: z.enum(['customer', 'global']),
  max: z.number().int().min(1).max(1_000_000_000),
  window: capWindowSchema,
});

const jsonLogicSchema = z.unknown().refine((v) => v !== undefined, { message: 'is required' });

/** A quantity written as a plain number must be a figure LaaS can hold. */
const quantityInRange = (q: unknown) =>
  typeof q !== 'number' || (Number.isFinite(q) && Math.abs(q) <= MAX_AMOUNT);
const QUANTITY_RANGE = PAST_MAX_AMOUNT;

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  priority: z.number().int().min(-1_000_000).max(1_000_000),
  active: z.boolean(),
  event_types: z.array(eventTypeSchema).min(1).max(50),
  condition: jsonLogicSchema,
  reward_id: idSchema,
  quantity: jsonLogicSchema,
  caps: z.array(capSchema).max(10),
  cooldown: durationSchema.nullable(),
  stop_processing: z.boolean(),
  campaign_id: idSchema.nullable(),
  budget_id: idSchema.nullable(),
  valid_from: timestampSchema.nullable(),
  valid_until: timestampSchema.nullable(),
};

export const createRuleSchema = z
  .strictObject({
    id: idSchema.optional(),
    name: ruleFields.name,
    priority: ruleFields.priority.default(100),
    active: ruleFields.active.default(true),
    event_types: ruleFields.event_types,
    condition: z.unknown().default(true),
    reward_id: ruleFields.reward_id,
    quantity: z.unknown().refine(quantityInRange, QUANTITY_RANGE).default(1),
    caps: ruleFields.caps.default([]),
    cooldown: ruleFields.cooldown.default(null),
    stop_processing: ruleFields.stop_processing.default(false),
    campaign_id: ruleFields.campaign_id.default(null),
    budget_id: ruleFields.budget_id.default(null),
    valid_from: ruleFields.valid_from.default(null),
    valid_until: ruleFields.valid_until.default(null),
  })
  .refine((r) => r.valid_from === null || r.valid_until === null || r.valid_from < r.valid_until, {
    message: 'valid_until must be after valid_from',
    path: ['valid_until'],
  });
export type CreateRuleInput = z.input<typeof createRuleSchema>;

export const updateRuleSchema = z.strictObject({
  name: ruleFields.name.optional(),
  priority: ruleFields.priority.optional(),
  active: ruleFields.active.optional(),
  event_types: ruleFields.event_types.optional(),
  condition: jsonLogicSchema.optional(),
  reward_id: ruleFields.reward_id.optional(),
  quantity: jsonLogicSchema.refine(quantityInRange, QUANTITY_RANGE).optional(),
  caps: ruleFields.caps.optional(),
  cooldown: ruleFields.cooldown.optional(),
  stop_processing: ruleFields.stop_processing.optional(),
  campaign_id: ruleFields.campaign_id.optional(),
  budget_id: ruleFields.budget_id.optional(),
  valid_from: ruleFields.valid_from.optional(),
  valid_until: ruleFields.valid_until.optional(),
  /** When given, the update applies only if the rule is still at this version (optimistic lock). */
  version: z.number().int().min(1).optional(),
});
export type UpdateRuleInput = z.input<typeof updateRuleSchema>;
