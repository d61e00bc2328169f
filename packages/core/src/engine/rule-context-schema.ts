import type { ContextSchema } from '@laas/rules';

/** One variable a rule can read, as documented in docs/rule-context.md. */
export interface RuleContextVariable {
  /** The `var` path: `event.amount`. A path marked `object` accepts any key below it. */
  path: string;
  type: string;
  meaning: string;
  /** A JsonLogic fragment using it. */
  example: string;
}

/**
 * The paths a rule can read (see `buildRuleContext`), with what they mean. The validator's schema
 * ({@link RULE_CONTEXT_SCHEMA}) and docs/rule-context.md are both derived from this one list, so
 * the documentation cannot drift from what `validate` accepts.
 */
export const RULE_CONTEXT_VARIABLES: readonly RuleContextVariable[] = [
  { path: 'event.id', type: 'string (UUID)', meaning: "The event's id", example: '{"var": "event.id"}' },
  {
    path: 'event.type',
    type: 'string',
    meaning: 'The event type (`visit`, `purchase`, ...)',
    example: '{"==": [{"var": "event.type"}, "purchase"]}',
  },
  {
    path: 'event.occurred_at',
    type: 'string (ISO 8601)',
    meaning: 'When the event happened',
    example: '{"var": "event.occurred_at"}',
  },
  {
    path: 'event.amount',
    type: 'integer (minor units)',
    meaning: 'The amount paid, in minor units of the currency (cents): 1500 is 15.00',
    example: '{">=": [{"var": "event.amount"}, 1500]}',
  },
  {
    path: 'event.currency',
    type: 'string (ISO 4217)',
    meaning: 'The currency of `event.amount`',
    example: '{"==": [{"var": "event.currency"}, "GHS"]}',
  },
  {
    path: 'event.items',
    type: 'array',
    meaning: 'The line items of a purchase, as the till sends them',
    example: '{"some": [{"var": "event.items"}, {"==": [{"var": "sku"}, "LATTE"]}]}',
  },
  {
    path: 'event.channel',
    type: 'string',
    meaning: 'Where the event came from (`pos`, `web`, `whatsapp`, `ussd`, ...)',
    example: '{"==": [{"var": "event.channel"}, "web"]}',
  },
  {
    path: 'event.store_id',
    type: 'string',
    meaning: 'The store (branch) of the event',
    example: '{"in": [{"var": "event.store_id"}, ["accra-1", "accra-2"]]}',
  },
  {
    path: 'event.order_id',
    type: 'string',
    meaning: 'The order number',
    example: '{"var": "event.order_id"}',
  },
  {
    path: 'event.staff_id',
    type: 'string',
    meaning: 'The member of staff who served',
    example: '{"var": "event.staff_id"}',
  },
  {
    path: 'event.referrer',
    type: 'string',
    meaning: 'Who referred the customer',
    example: '{"!!": {"var": "event.referrer"}}',
  },
  {
    path: 'event.coupon',
    type: 'string',
    meaning: 'A coupon code given with the event',
    example: '{"==": [{"var": "event.coupon"}, "WELCOME"]}',
  },
  {
    path: 'customer.id',
    type: 'string (UUID)',
    meaning: "The customer's id",
    example: '{"var": "customer.id"}',
  },
  {
    path: 'customer.phone',
    type: 'string (E.164) or null',
    meaning: "The customer's phone number",
    example: '{"var": "customer.phone"}',
  },
  {
    path: 'customer.external_ref',
    type: 'string or null',
    meaning: "The merchant's own id for the customer",
    example: '{"var": "customer.external_ref"}',
  },
  {
    path: 'customer.name',
    type: 'string or null',
    meaning: "The customer's name",
    example: '{"var": "customer.name"}',
  },
  {
    path: 'customer.birthday',
    type: 'string (YYYY-MM-DD) or null',
    meaning: "The customer's birthday",
    example: '{"days_until_anniversary": [{"var": "customer.birthday"}]}',
  },
  {
    path: 'customer.tags',
    type: 'array of strings',
    meaning: "The customer's tags",
    example: '{"in": ["vip", {"var": "customer.tags"}]}',
  },
  {
    path: 'customer.attributes',
    type: 'object',
    meaning: 'Free-form attributes the merchant set; any key below is accepted',
    example: '{"==": [{"var": "customer.attributes.tier"}, "gold"]}',
  },
  {
    path: 'customer.status',
    type: 'string',
    meaning: '`active`, `blocked` or `erased`',
    example: '{"==": [{"var": "customer.status"}, "active"]}',
  },
  {
    path: 'customer.enrolled_at',
    type: 'string (ISO 8601)',
    meaning: 'When the customer joined',
    example: '{"var": "customer.enrolled_at"}',
  },
  {
    path: 'customer.last_event_at',
    type: 'string (ISO 8601) or null',
    meaning: "When the customer's previous event happened",
    example: '{"var": "customer.last_event_at"}',
  },
  {
    path: 'customer.stats.counts',
    type: 'object of integers',
    meaning: 'Events per type, this event included: `customer.stats.counts.visit`',
    example: '{"==": [{"%": [{"var": "customer.stats.counts.visit"}, 5]}, 0]}',
  },
  {
    path: 'customer.stats.total_spend',
    type: 'integer (minor units)',
    meaning: 'Sum of `event.amount` over all `purchase` events',
    example: '{">=": [{"var": "customer.stats.total_spend"}, 100000]}',
  },
  {
    path: 'customer.stats.points_balance',
    type: 'integer',
    meaning: 'Spendable points',
    example: '{">=": [{"var": "customer.stats.points_balance"}, 500]}',
  },
  {
    path: 'customer.tier',
    type: 'string or null',
    meaning:
      "The customer's tier level (docs/tiers.md), this event counted; null without a level or a tier programme",
    example: '{"==": [{"var": "customer.tier"}, "Gold"]}',
  },
  { path: 'tenant.id', type: 'string (UUID)', meaning: "The tenant's id", example: '{"var": "tenant.id"}' },
  { path: 'tenant.name', type: 'string', meaning: "The merchant's name", example: '{"var": "tenant.name"}' },
  {
    path: 'tenant.timezone',
    type: 'string (IANA zone)',
    meaning: "The tenant's time zone, which `now` is seen in",
    example: '{"var": "tenant.timezone"}',
  },
  {
    path: 'tenant.settings',
    type: 'object',
    meaning: "The tenant's settings (`currency`, `points_expiry`, ...)",
    example: '{"==": [{"var": "tenant.settings.currency"}, "USD"]}',
  },
  {
    path: 'now.iso',
    type: 'string (ISO 8601)',
    meaning: "The event's `occurred_at` (a backtest sees the time each event happened)",
    example: '{"var": "now.iso"}',
  },
  {
    path: 'now.date',
    type: 'string (YYYY-MM-DD)',
    meaning: "The event's date in the tenant's time zone",
    example: '{"==": [{"var": "now.date"}, "2026-12-25"]}',
  },
  {
    path: 'now.hour',
    type: 'integer 0-23',
    meaning: "The event's hour in the tenant's time zone",
    example: '{"<": [{"var": "now.hour"}, 10]}',
  },
  {
    path: 'now.minute',
    type: 'integer 0-59',
    meaning: "The event's minute in the tenant's time zone",
    example: '{"var": "now.minute"}',
  },
  {
    path: 'now.dow',
    type: 'integer 0-6',
    meaning: "The day of the week in the tenant's time zone, 0 is Sunday",
    example: '{"in": [{"var": "now.dow"}, [0, 6]]}',
  },
  {
    path: 'referral.role',
    type: 'string or null',
    meaning:
      '`referee` on the events of a customer who was referred, `referrer` on the `referral` event the engine ingests for the referrer when the referee qualifies, null otherwise (docs/referrals.md)',
    example: '{"==": [{"var": "referral.role"}, "referrer"]}',
  },
  {
    path: 'referral.qualifying',
    type: 'boolean',
    meaning:
      "True on the referee's first qualifying event (tenant settings `referral_qualifying_event_types`, `referral_min_amount`) and on the referrer's `referral` event it causes; false otherwise",
    example: '{"and": [{"==": [{"var": "referral.role"}, "referee"]}, {"var": "referral.qualifying"}]}',
  },
  {
    path: 'referral.status',
    type: 'string or null',
    meaning: 'The attribution: `pending`, `qualified` or `rejected`; null when nobody referred the customer',
    example: '{"==": [{"var": "referral.status"}, "pending"]}',
  },
  {
    path: 'referral.referrer_id',
    type: 'string (UUID) or null',
    meaning: 'Who referred the referee',
    example: '{"var": "referral.referrer_id"}',
  },
  {
    path: 'referral.referee_id',
    type: 'string (UUID) or null',
    meaning: "The referred customer (on the referrer's `referral` event: whose purchase earned it)",
    example: '{"var": "referral.referee_id"}',
  },
  {
    path: 'referral.code',
    type: 'string or null',
    meaning: 'The referral code the referee enrolled with',
    example: '{"var": "referral.code"}',
  },
];

function schemaOf(variables: readonly RuleContextVariable[]): ContextSchema {
  const root: ContextSchema = {};
  for (const { path } of variables) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part] ?? {};
      if (next === true) throw new Error(`rule context: ${path} is below a leaf`);
      node[part] = next;
      node = next;
    }
    node[parts[parts.length - 1] as string] = true;
  }
  return root;
}

/**
 * The paths a rule can read, as the validator's tree. `validate` warns about a `var` outside it
 * with a "did you mean" suggestion, so `event.ammount` is caught before it silently never
 * matches. Event data is free-form: a field not listed here is a warning, never an error.
 */
export const RULE_CONTEXT_SCHEMA: ContextSchema = schemaOf(RULE_CONTEXT_VARIABLES);
