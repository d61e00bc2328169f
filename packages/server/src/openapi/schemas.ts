/**
 * Zod schemas of what the API answers, for the OpenAPI document. The core defines its entities as
 * TypeScript interfaces; the compile-time checks at the bottom keep each schema and its interface
 * identical, so the document cannot drift from what the handlers return.
 */
import type {
  AnalyticsSummary,
  ApiKey,
  Budget,
  BudgetLedgerEntry,
  BudgetPeriod,
  Campaign,
  Customer,
  Decision,
  Issuance,
  LoyaltyEvent,
  PointsLedgerEntry,
  PointsLot,
  Reward,
  Rule,
  Tenant,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryWithAttempts,
  WebhookSubscription,
} from '@laas/core';
import { z } from 'zod';
import { refundOutcomeSchema } from './refund-schemas.js';

const ts = z.string().meta({ format: 'date-time' });
const json = z.record(z.string(), z.unknown());

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum([
        'VALIDATION_ERROR',
        'AUTHENTICATION_ERROR',
        'AUTHORIZATION_ERROR',
        'NOT_FOUND',
        'STATE_CONFLICT',
        'IDEMPOTENCY_KEY_REUSED',
        'RATE_LIMIT_EXCEEDED',
        'INTERNAL_ERROR',
        'STORE_UNAVAILABLE',
      ]),
      message: z.string(),
      details: json.optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: 'Error' });

export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    timezone: z.string(),
    settings: z.object({
      auto_enroll: z.boolean(),
      points_expiry: z.string().nullable(),
      currency: z.string(),
      inactive_after_days: z.number().int(),
      backdate_limit: z.string().nullable().meta({
        description:
          'How far in the past an event’s occurred_at may lie ("30d"); null: no limit. Events more than 5 minutes in the future are refused too (422).',
      }),
      event_types: z.array(z.string()).nullable().meta({
        description:
          'The event types this tenant sends; an event of another type is refused (422 VALIDATION_ERROR at `type`), except the scheduled `customer.birthday` and `customer.inactive`. null (the default): any type is accepted, and one no rule listens to answers a warning.',
      }),
      enrollment_page: z.boolean().meta({
        description:
          'Publish the public enrollment page data at GET /public/tenants/{tid}/enrollment (name, WhatsApp join link, what the active rules earn). Default false.',
      }),
      audit_retention_days: z.number().int().meta({
        description:
          'Days the audit trail keeps its rows (1 to 3650, default 365); older rows are purged by the worker.',
      }),
      referral_max_per_referrer: z.number().int().nullable().meta({
        description:
          'How many customers one referrer may have attributed (pending or qualified); null: no cap. Default 50. See docs/referrals.md.',
      }),
      referral_qualifying_event_types: z.array(z.string()).meta({
        description:
          'The event types whose first occurrence qualifies a referred customer. Default ["purchase"].',
      }),
      referral_min_amount: z.number().int().nullable().meta({
        description:
          'The least data.amount (minor units) a qualifying event must carry; null (the default): any.',
      }),
      reminder_days: z.number().int().min(1).max(90).nullable().meta({
        description:
          'Days before expiry at which points.expiring and reward.expiring are written (webhooks, WhatsApp); null (the default): no reminders. See docs/reminders.md.',
      }),
    }),
    created_at: ts,
  })
  .meta({ id: 'Tenant' });

export const whoamiSchema = z
  .object({
    kind: z.enum(['platform', 'api-key', 'jwt']),
    role: z.enum(['platform', 'admin', 'manager', 'pos', 'viewer']),
    tenant: tenantSchema.nullable(),
  })
  .meta({ id: 'Whoami' });

export const customerSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    phone: z.string().nullable(),
    external_ref: z.string().nullable(),
    name: z.string().nullable(),
    birthday: z.string().nullable(),
    attributes: json,
    tags: z.array(z.string()),
    status: z.enum(['active', 'blocked', 'erased']),
    enrolled_at: ts,
    last_event_at: ts.nullable(),
    stats: z.object({
      counts: z.record(z.string(), z.number()),
      total_spend: z.number().int(),
      points_balance: z.number().int(),
    }),
  })
  .meta({ id: 'Customer' });

const decisionSchema = z
  .object({
    rule_id: z.string(),
    rule_name: z.string(),
    outcome: z.enum([
      'issued',
      'reserved',
      'not_matched',
      'cooldown',
      'cap_reached',
      'budget_exhausted',
      'codes_exhausted',
      'campaign_inactive',
      'error',
    ]),
    reason: z.string(),
    issuance_id: z.string().optional(),
    quantity: z.number().optional(),
  })
  .meta({ id: 'Decision' });

const outcomeFields = {
  event_id: z.string(),
  customer_id: z.string(),
  enrolled: z.boolean(),
  decisions: z.array(decisionSchema),
  issuance_ids: z.array(z.string()),
  refund: refundOutcomeSchema.optional().meta({
    description: 'A refund or return event: what it reversed of the original event (docs/refunds.md)',
  }),
};

export const eventSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    customer_id: z.string(),
    type: z.string(),
    occurred_at: ts,
    data: json,
    idempotency_key: z.string(),
    payload_hash: z.string(),
    outcome: z.object(outcomeFields).nullable(),
    created_at: ts,
  })
  .meta({ id: 'Event' });

const capWindowSchema = z.union([
  z.enum(['day', 'week', 'month', 'year', 'lifetime']),
  z.object({ rolling: z.string() }),
]);

export const ruleSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    priority: z.number().int(),
    active: z.boolean(),
    event_types: z.array(z.string()),
    condition: z.unknown().meta({ description: 'JsonLogic' }),
    reward_id: z.string(),
    quantity: z.unknown().meta({ description: 'JsonLogic giving a number of units' }),
    caps: z.array(
      z.object({ scope: z.enum(['customer', 'global']), max: z.number().int(), window: capWindowSchema }),
    ),
    cooldown: z.string().nullable(),
    stop_processing: z.boolean(),
    campaign_id: z.string().nullable(),
    budget_id: z.string().nullable(),
    valid_from: ts.nullable(),
    valid_until: ts.nullable(),
    version: z.number().int(),
    created_at: ts,
    updated_at: ts,
  })
  .meta({ id: 'Rule' });

export const rewardSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    type: z.enum(['discount_percent', 'discount_amount', 'voucher', 'points', 'item']),
    value: z.number().int(),
    cost: z.number().int(),
    issue_mode: z.enum(['immediate', 'manual']),
    validity: z.string().nullable(),
    reservation_ttl: z.string(),
    points_price: z.number().int().nullable(),
    active: z.boolean(),
    created_at: ts,
    updated_at: ts,
  })
  .meta({ id: 'Reward' });

export const issuanceSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    customer_id: z.string(),
    reward_id: z.string(),
    rule_id: z.string().nullable(),
    event_id: z.string().nullable(),
    state: z.enum(['reserved', 'issued', 'redeemed', 'expired', 'cancelled']),
    quantity: z.number().int(),
    value: z.number().int(),
    cost: z.number().int(),
    code: z.string().nullable(),
    budget_id: z.string().nullable(),
    budget_period: z.string().nullable(),
    earned_at: ts,
    created_at: ts,
    issued_at: ts.nullable(),
    expires_at: ts.nullable(),
    reserve_deadline: ts.nullable(),
    redeemed_at: ts.nullable(),
    cancelled_at: ts.nullable(),
    cancel_reason: z.string().nullable(),
  })
  .meta({ id: 'Issuance' });

export const ingestResultSchema = z
  .object({
    ...outcomeFields,
    replayed: z.boolean(),
    dry_run: z.boolean(),
    issuances: z.array(issuanceSchema),
    explanations: z
      .array(
        z.object({
          rule_id: z.string(),
          rule_name: z.string(),
          condition: z.unknown().meta({ description: 'evaluation tree (ExplainNode), null when not run' }),
          quantity: z.unknown().meta({ description: 'evaluation tree (ExplainNode), null when not run' }),
        }),
      )
      .optional(),
    warnings: z
      .array(z.object({ code: z.enum(['unknown_event_type']), message: z.string(), path: z.string() }))
      .optional()
      .meta({
        description:
          'Present when the event was accepted but looks wrong: `unknown_event_type` when no rule listens to its type (with a "did you mean"). Not stored: a replay answers without them.',
      }),
  })
  .meta({ id: 'IngestResult' });

export const budgetSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    unit: z.string(),
    limit: z.number().int(),
    period: z.enum(['none', 'day', 'week', 'month', 'year']),
    hard_cap: z.boolean(),
    soft_cap_ratio: z.number().nullable(),
    active: z.boolean(),
    created_at: ts,
    updated_at: ts,
  })
  .meta({ id: 'Budget' });

export const budgetPeriodSchema = z
  .object({
    budget_id: z.string(),
    period: z.string(),
    limit: z.number().int(),
    reserved: z.number().int(),
    utilized: z.number().int(),
    spent: z.number().int(),
    threshold_notified: z.boolean(),
    exhausted_notified: z.boolean(),
  })
  .meta({ id: 'BudgetPeriod' });

const counter = z.enum(['reserved', 'utilized', 'spent', 'limit']).nullable();
export const budgetLedgerEntrySchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    budget_id: z.string(),
    period: z.string(),
    issuance_id: z.string().nullable(),
    kind: z.enum(['topup', 'reserve', 'release', 'charge', 'spend', 'adjust']),
    amount: z.number().int(),
    from: counter,
    to: counter,
    at: ts,
  })
  .meta({ id: 'BudgetLedgerEntry' });

export const campaignSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    starts_at: ts.nullable(),
    ends_at: ts.nullable(),
    status: z.enum(['draft', 'active', 'paused', 'ended']),
    budget_id: z.string().nullable(),
    created_at: ts,
    updated_at: ts,
  })
  .meta({ id: 'Campaign' });

export const pointsLotSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    customer_id: z.string(),
    issuance_id: z.string().nullable(),
    earned_at: ts,
    expires_at: ts.nullable(),
    amount: z.number().int(),
    remaining: z.number().int(),
  })
  .meta({ id: 'PointsLot' });

export const pointsLedgerEntrySchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    customer_id: z.string(),
    kind: z.enum(['earn', 'redeem', 'expire', 'adjust']),
    amount: z.number().int(),
    lot_id: z.string().nullable(),
    issuance_id: z.string().nullable(),
    at: ts,
    reason: z.string().nullable().meta({
      description: 'Why: a manual adjustment’s reason, a refund’s clawback, points given back on a cancel',
    }),
    actor: z
      .string()
      .nullable()
      .meta({ description: 'Who made a manual adjustment: API key id, `platform`, or JWT subject' }),
  })
  .meta({ id: 'PointsLedgerEntry' });

export const pointsBalanceSchema = z
  .object({ balance: z.number().int(), lots: z.array(pointsLotSchema) })
  .meta({ id: 'PointsBalance' });

const webhookFields = {
  id: z.string(),
  tenant_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  disabled_reason: z
    .string()
    .nullable()
    .meta({ description: 'Why the worker disabled it (410 Gone, too many failed deliveries)' }),
  failure_count: z.number().int().meta({ description: 'Consecutive deliveries that gave up' }),
  previous_secret_expires_at: ts
    .nullable()
    .meta({ description: 'Until then the secret before the last rotation also signs deliveries' }),
  created_at: ts,
  updated_at: ts,
};
/** A subscription as listed: the signing secret is shown once, at creation (and at a rotation). */
export const webhookSchema = z.object(webhookFields).meta({ id: 'Webhook' });
export const createdWebhookSchema = z
  .object({
    ...webhookFields,
    secret: z.string().meta({ description: 'whsec_..., shown only in this answer' }),
  })
  .meta({ id: 'CreatedWebhook' });

const deliveryFields = {
  id: z.string(),
  tenant_id: z.string(),
  subscription_id: z.string(),
  outbox_id: z.string().meta({ description: 'The webhook-id header: the same on every retry and replay' }),
  event_type: z.string(),
  payload: z.string().meta({ description: 'The exact JSON body sent' }),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  next_attempt_at: ts.nullable(),
  locked_until: ts.nullable(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: ts,
  updated_at: ts,
};
export const webhookDeliverySchema = z.object(deliveryFields).meta({ id: 'WebhookDelivery' });
export const webhookAttemptSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    delivery_id: z.string(),
    at: ts,
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    response_excerpt: z.string().meta({ description: 'The start of the answer, at most 1 KB' }),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookAttempt' });
export const webhookDeliveryWithAttemptsSchema = z
  .object({ ...deliveryFields, attempt_log: z.array(webhookAttemptSchema) })
  .meta({ id: 'WebhookDeliveryWithAttempts' });

/** An API key as listed: neither the key nor its hash. */
export const apiKeySchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'manager', 'pos', 'viewer']),
    prefix: z.string(),
    created_at: ts,
    revoked_at: ts.nullable(),
  })
  .meta({ id: 'ApiKey' });
export const createdApiKeySchema = z
  .object({
    api_key: apiKeySchema,
    key: z.string().meta({ description: 'laas_..., shown only here; store it now' }),
  })
  .meta({ id: 'CreatedApiKey' });

export const whatsAppMessageSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    direction: z.enum(['in', 'out']),
    wa_message_id: z.string().nullable(),
    phone: z.string(),
    kind: z.enum(['text', 'interactive', 'template', 'notification']),
    body: z.unknown(),
    status: z.enum(['received', 'queued', 'sent', 'delivered', 'read', 'failed', 'skipped']),
    error: z.string().nullable(),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    locked_until: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'WhatsAppMessage' });

export const whatsAppConversationSchema = z
  .object({
    tenant_id: z.string(),
    phone: z.string(),
    last_inbound_at: z.string().nullable(),
    pending: z.unknown().meta({ description: "A redemption awaiting the customer's YES/NO, or null" }),
    updated_at: z.string(),
  })
  .meta({ id: 'WhatsAppConversation' });

export const customerExportSchema = z
  .object({
    customer: customerSchema,
    events: z.array(eventSchema),
    issuances: z.array(issuanceSchema),
    points_lots: z.array(pointsLotSchema),
    points_ledger: z.array(pointsLedgerEntrySchema),
    whatsapp: z
      .object({
        conversation: whatsAppConversationSchema.nullable(),
        messages: z.array(whatsAppMessageSchema),
      })
      .meta({ description: "The conversation and messages of the customer's phone: erasure deletes them" }),
  })
  .meta({ id: 'CustomerExport' });

export const ruleProblemSchema = z.object({
  path: z.string(),
  code: z.string(),
  message: z.string(),
  suggestion: z.string().optional(),
});

/** What rule create and update answer: the rule, and its logic's warnings (empty when none). */
export const ruleWithWarningsSchema = ruleSchema
  .extend({
    warnings: z.array(ruleProblemSchema).meta({
      description:
        'Problems that did not stop the rule being saved, chiefly unknown variables, each with its path (`condition.and[0].var`) and a `suggestion`; `?strict=true` refuses them instead',
    }),
  })
  .meta({ id: 'RuleWithWarnings' });

export const ruleValidationSchema = z
  .object({
    valid: z.boolean(),
    condition: z.object({ errors: z.array(ruleProblemSchema), warnings: z.array(ruleProblemSchema) }),
    quantity: z.object({ errors: z.array(ruleProblemSchema), warnings: z.array(ruleProblemSchema) }),
  })
  .meta({ id: 'RuleValidation' });

export const ruleTestResultSchema = z
  .object({
    matched: z.boolean(),
    condition_value: z.unknown(),
    quantity: z.unknown(),
    warnings: z.array(ruleProblemSchema),
    explanation: z.object({ condition: z.unknown(), quantity: z.unknown() }),
  })
  .meta({ id: 'RuleTestResult' });

export const codeCountsSchema = z
  .object({ available: z.number().int(), used: z.number().int() })
  .meta({ id: 'CodeCounts' });
export const codeUploadResultSchema = z
  .object({ added: z.number().int(), duplicates: z.array(z.string()) })
  .meta({ id: 'CodeUploadResult' });

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  reason: z.string().optional(),
});

const analyticsCounts = {
  events: z.number().int().meta({ description: 'Events whose occurred_at falls in the day' }),
  enrolments: z.number().int().meta({ description: 'Customers enrolled that day (enrolled_at)' }),
  issued: z.number().int().meta({
    description:
      'Issuances created that day, whatever their state now: reserved, issued, redeemed, expired and cancelled all count (created_at)',
  }),
  redeemed: z.number().int().meta({ description: 'Issuances redeemed that day (redeemed_at)' }),
  points_earned: z.number().int().meta({ description: 'Points credited (points ledger `earn` rows)' }),
  points_spent: z
    .number()
    .int()
    .meta({ description: 'Points spent on rewards (`redeem` rows), as a positive number' }),
  points_expired: z.number().int().meta({
    description:
      'Points expired (`expire` rows), as a positive number; `adjust` rows count in none of the three',
  }),
};

export const analyticsSummarySchema = z
  .object({
    from: z.string().meta({ format: 'date', description: 'First day, in the tenant’s time zone' }),
    to: z.string().meta({ format: 'date', description: 'Last day (included)' }),
    timezone: z.string(),
    currency: z.string(),
    days: z
      .array(z.object({ date: z.string().meta({ format: 'date' }), ...analyticsCounts }))
      .meta({ description: 'Every day of the range in order, zeros included' }),
    totals: z.object(analyticsCounts),
    points_liability: z
      .number()
      .int()
      .meta({ description: 'The sum of every customer’s points balance now (not bound to the range)' }),
    budgets: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          unit: z.string(),
          limit: z.number().int().meta({
            description:
              'The current period’s limit (top-ups included); the budget’s limit when the period has no row yet',
          }),
          period: z.enum(['none', 'day', 'week', 'month', 'year']),
          hard_cap: z.boolean(),
          current_period: z
            .string()
            .meta({ description: 'The current period’s key: 2026-11, 2026-W47, all' }),
          used: z.number().int().meta({ description: 'reserved + utilized + spent of the current period' }),
          remaining: z.number().int().meta({ description: 'max(0, limit - used)' }),
          days: z
            .array(z.object({ date: z.string().meta({ format: 'date' }), amount: z.number().int() }))
            .meta({
              description:
                'Per day of the range, the amount charged to the budget: the ledger’s reserve amounts minus its release amounts (rewards cancelled or expired); moves between counters and top-ups are not charges',
            }),
          projected_exhaustion: z
            .string()
            .meta({
              format: 'date',
              description:
                'When remaining is 0: the day of the current period’s last charge (today if none). Otherwise, when the average daily charge over the range’s last 7 days (fewer for a shorter range) is above 0: today plus ceil(remaining / that average) days, if that day is still in the current period. Else null',
            })
            .nullable(),
        }),
      )
      .meta({ description: 'Every active budget, by name' }),
    top_rules: z
      .array(
        z.object({
          rule_id: z.string(),
          name: z.string().meta({ description: '"(deleted rule)" when the rule was deleted since' }),
          issued: z.number().int(),
        }),
      )
      .meta({
        description: 'Up to 10 rules by issuances created in the range (any state), most first; ties by name',
      }),
  })
  .meta({ id: 'AnalyticsSummary' });

/** A page of a list: pass `next_cursor` back as `cursor` (null: the last page). */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

// Compile-time checks: each schema describes exactly its core interface.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
export type SchemaChecks = [
  Check<Same<z.infer<typeof tenantSchema>, Tenant>>,
  Check<Same<z.infer<typeof customerSchema>, Customer>>,
  Check<Same<z.infer<typeof decisionSchema>, Decision>>,
  Check<Same<z.infer<typeof eventSchema>, LoyaltyEvent>>,
  Check<Same<z.infer<typeof ruleSchema>, Rule>>,
  Check<Same<z.infer<typeof rewardSchema>, Reward>>,
  Check<Same<z.infer<typeof issuanceSchema>, Issuance>>,
  Check<Same<z.infer<typeof budgetSchema>, Budget>>,
  Check<Same<z.infer<typeof budgetPeriodSchema>, BudgetPeriod>>,
  Check<Same<z.infer<typeof budgetLedgerEntrySchema>, BudgetLedgerEntry>>,
  Check<Same<z.infer<typeof campaignSchema>, Campaign>>,
  Check<Same<z.infer<typeof pointsLotSchema>, PointsLot>>,
  Check<Same<z.infer<typeof pointsLedgerEntrySchema>, PointsLedgerEntry>>,
  Check<Same<z.infer<typeof createdWebhookSchema>, Omit<WebhookSubscription, 'previous_secret'>>>,
  Check<Same<z.infer<typeof webhookDeliverySchema>, WebhookDelivery>>,
  Check<Same<z.infer<typeof webhookAttemptSchema>, WebhookAttempt>>,
  Check<Same<z.infer<typeof webhookDeliveryWithAttemptsSchema>, WebhookDeliveryWithAttempts>>,
  Check<Same<z.infer<typeof apiKeySchema>, Omit<ApiKey, 'key_hash'>>>,
  Check<Same<z.infer<typeof analyticsSummarySchema>, AnalyticsSummary>>,
];
