import type { ContextSchema } from '@laas/rules';

/**
 * The paths a rule can read (see `buildRuleContext`). `validate` warns about a `var` outside it
 * with a "did you mean" suggestion, so `event.ammount` is caught before it silently never
 * matches. Event data is free-form: a field not listed here is a warning, never an error.
 */
export const RULE_CONTEXT_SCHEMA: ContextSchema = {
  event: {
    id: true,
    type: true,
    occurred_at: true,
    amount: true,
    currency: true,
    items: true,
    channel: true,
    store_id: true,
    order_id: true,
    staff_id: true,
    referrer: true,
    coupon: true,
  },
  customer: {
    id: true,
    phone: true,
    external_ref: true,
    name: true,
    birthday: true,
    tags: true,
    attributes: true,
    status: true,
    enrolled_at: true,
    last_event_at: true,
    stats: { counts: true, total_spend: true, points_balance: true },
  },
  tenant: { id: true, name: true, timezone: true, settings: true },
  now: { iso: true, date: true, hour: true, minute: true, dow: true },
};
