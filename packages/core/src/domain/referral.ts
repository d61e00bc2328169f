import type { Timestamp } from '../time.js';
import { DEFAULT_TENANT_SETTINGS, type TenantSettings } from './tenant.js';

/** A customer's own referral code (one per customer; unique in the tenant). */
export interface ReferralCode {
  tenant_id: string;
  customer_id: string;
  code: string;
  created_at: Timestamp;
}

/**
 * `pending`: attributed at enrolment, waiting for the referee's first qualifying event;
 * `qualified`: that event came and both sides were rewarded; `rejected`: the referrer could no
 * longer be rewarded when it came (blocked or erased), so nobody was.
 */
export type ReferralStatus = 'pending' | 'qualified' | 'rejected';

/** One attribution: `referee_id` was enrolled with `referrer_id`'s code. At most one per referee. */
export interface Referral {
  tenant_id: string;
  referee_id: string;
  referrer_id: string;
  code: string;
  status: ReferralStatus;
  attributed_at: Timestamp;
  qualified_at: Timestamp | null;
  /** The event of the referee that qualified the referral (set with `qualified_at`). */
  qualifying_event_id: string | null;
  rejected_at: Timestamp | null;
  rejected_reason: string | null;
}

/** How many customers one referrer has referred, by status. */
export interface ReferralCounts {
  pending: number;
  qualified: number;
  rejected: number;
}

/** What `GET /customers/:cid/referral` answers. */
export interface ReferralSummary {
  customer_id: string;
  /** The customer's own code, to hand out. */
  code: string;
  /** Who referred this customer, and how far that attribution got; null when nobody did. */
  referred_by: {
    referrer_id: string;
    code: string;
    status: ReferralStatus;
    attributed_at: Timestamp;
    qualified_at: Timestamp | null;
    rejected_reason: string | null;
  } | null;
  /** The customers this customer referred, by status, and how many more the cap allows (null: no cap). */
  referred: ReferralCounts & { remaining: number | null };
}

/** The referral settings in force (tenants stored before they existed read the defaults). */
export interface ReferralSettings {
  max_per_referrer: number | null;
  qualifying_event_types: string[];
  min_amount: number | null;
}

/** The tenant's referral settings, with the defaults for any a tenant stored before they existed lacks. */
export function referralSettingsOf(settings: TenantSettings): ReferralSettings {
  const s = settings as Partial<TenantSettings>;
  return {
    max_per_referrer:
      s.referral_max_per_referrer === undefined
        ? DEFAULT_TENANT_SETTINGS.referral_max_per_referrer
        : s.referral_max_per_referrer,
    qualifying_event_types:
      s.referral_qualifying_event_types ?? DEFAULT_TENANT_SETTINGS.referral_qualifying_event_types,
    min_amount:
      s.referral_min_amount === undefined
        ? DEFAULT_TENANT_SETTINGS.referral_min_amount
        : s.referral_min_amount,
  };
}

/** The idempotency key of the referrer's `referral` event for `refereeId`: one per referee, ever. */
export function referralEventKey(refereeId: string): string {
  return `laas:referral:${refereeId}`;
}
