import type { Customer } from '../domain/customer.js';
import type { LoyaltyEvent } from '../domain/event.js';
import type { Tenant } from '../domain/tenant.js';
import { localNow } from '../time.js';
import { NO_REFERRAL, type ReferralContext } from './referrals.js';

/**
 * What a rule's condition and quantity read: `{ event, customer, tenant, now }`.
 * `event` is the event's `data` with `id`, `type` and `occurred_at` on top (so `event.amount`);
 * `now` is the event's `occurred_at` seen in the tenant's time zone, so a backtest over old
 * events sees the time each event happened.
 */
export interface RuleContext {
  event: Record<string, unknown>;
  customer: Record<string, unknown>;
  tenant: Record<string, unknown>;
  now: ReturnType<typeof localNow>;
  /** The customer's referral (docs/referrals.md); {@link NO_REFERRAL} for a customer nobody referred. */
  referral: ReferralContext;
}

export function buildRuleContext(
  tenant: Tenant,
  customer: Customer,
  event: LoyaltyEvent,
  referral: ReferralContext = NO_REFERRAL,
): RuleContext {
  return {
    event: { ...event.data, id: event.id, type: event.type, occurred_at: event.occurred_at },
    customer: {
      id: customer.id,
      phone: customer.phone,
      external_ref: customer.external_ref,
      name: customer.name,
      birthday: customer.birthday,
      tags: customer.tags,
      attributes: customer.attributes,
      status: customer.status,
      enrolled_at: customer.enrolled_at,
      last_event_at: customer.last_event_at,
      stats: customer.stats,
    },
    tenant: { id: tenant.id, name: tenant.name, timezone: tenant.timezone, settings: tenant.settings },
    now: localNow(event.occurred_at, tenant.timezone),
    referral,
  };
}
