import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS, DEFAULT_AUDIT_RETENTION_DAYS } from './audit.js';
import { durationSchema, idSchema, nonNegativeInt, timeZoneSchema } from './common.js';
import { eventTypeSchema } from './event.js';

export interface TenantSettings {
  /** Enroll a customer on their first event when no customer matches (else CUSTOMER_NOT_FOUND). */
  auto_enroll: boolean;
  /** How long earned points stay spendable (`365d`); null: points never expire. */
  points_expiry: string | null;
  /** ISO 4217 code of the tenant's money amounts (minor units). */
  currency: string;
  /** Days without an event after which `customer.inactive` is scheduled (worker issue). */
  inactive_after_days: number;
  /**
   * How far in the past an ingested event's `occurred_at` may lie (`30d`); null: no limit (for
   * importing history). Events are also refused more than 5 minutes in the future.
   */
  backdate_limit: string | null;
  /**
   * The event types this tenant sends (`["visit", "purchase"]`): an event of another type is
   * refused (422 VALIDATION_ERROR at `type`), so a misspelt type fails at the till instead of earning
   * nothing. The scheduled `customer.birthday` and `customer.inactive` are always accepted. Null
   * (the default): any type is accepted, and one no rule listens to answers a warning.
   */
  event_types: string[] | null;
  /**
   * Publish the public enrollment page data (`GET /public/tenants/:tid/enrollment`: the shop's
   * name, its WhatsApp join link and what its active rules earn). Default false; tenants stored
   * before the setting existed read as false ({@link enrollmentPageOf}).
   */
  enrollment_page: boolean;
  /**
   * Days the audit trail keeps its rows (1 to 3650, default 365); the worker purges older ones.
   * Tenants stored before the setting existed read the default ({@link auditRetentionDaysOf}).
   */
  audit_retention_days: number;
  /**
   * Referrals (docs/referrals.md): how many customers one referrer may have attributed (pending or
   * qualified); null: no cap. Default 50.
   */
  referral_max_per_referrer: number | null;
  /** The event types whose first occurrence qualifies a referee (default `["purchase"]`). */
  referral_qualifying_event_types: string[];
  /** The least `data.amount` (minor units) a qualifying event must carry; null: any (the default). */
  referral_min_amount: number | null;
  /**
   * Days before expiry at which the worker writes `points.expiring` and `reward.expiring`
   * (1..90); null (the default): no reminders. Tenants stored before the setting existed read
   * null ({@link reminderDaysOf}).
   */
  reminder_days: number | null;
}

/** A merchant. Calendar windows (days, weeks, months) are computed in `timezone`. */
export interface Tenant {
  id: string;
  name: string;
  timezone: string;
  settings: TenantSettings;
  created_at: Timestamp;
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  auto_enroll: true,
  points_expiry: null,
  currency: 'USD',
  inactive_after_days: 60,
  backdate_limit: '30d',
  event_types: null,
  enrollment_page: false,
  audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
  referral_max_per_referrer: 50,
  referral_qualifying_event_types: ['purchase'],
  referral_min_amount: null,
  reminder_days: null,
};

export const tenantSettingsSchema = z.object({
  auto_enroll: z.boolean(),
  points_expiry: durationSchema.nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be a three-letter ISO 4217 code such as "USD"' }),
  inactive_after_days: z.number().int().min(1).max(3650),
  backdate_limit: durationSchema.nullable(),
  event_types: z.array(eventTypeSchema).min(1).max(200).nullable(),
  enrollment_page: z.boolean(),
  audit_retention_days: z.number().int().min(AUDIT_RETENTION_MIN_DAYS).max(AUDIT_RETENTION_MAX_DAYS),
  referral_max_per_referrer: z.number().int().min(0).max(1_000_000).nullable(),
  referral_qualifying_event_types: z.array(eventTypeSchema).min(1).max(50),
  referral_min_amount: nonNegativeInt.nullable(),
  reminder_days: z.number().int().min(1).max(90).nullable(),
});

/** The audit retention in force, in days (tenants stored before the setting existed: the default). */
export function auditRetentionDaysOf(settings: TenantSettings): number {
  const days = (settings as Partial<TenantSettings>).audit_retention_days;
  return typeof days === 'number' ? days : DEFAULT_AUDIT_RETENTION_DAYS;
}

/** The reminder lead time in days, or null when off (tenants stored before the setting: off). */
export function reminderDaysOf(settings: TenantSettings): number | null {
  const days = (settings as Partial<TenantSettings>).reminder_days;
  return typeof days === 'number' ? days : null;
}

/** Whether the public enrollment page is on (tenants stored before the setting existed: off). */
export function enrollmentPageOf(settings: TenantSettings): boolean {
  return (settings as Partial<TenantSettings>).enrollment_page === true;
}

/** The backdate limit in force (tenants created before the setting existed have the default). */
export function backdateLimitOf(settings: TenantSettings): string | null {
  return 'backdate_limit' in settings && settings.backdate_limit !== undefined
    ? settings.backdate_limit
    : DEFAULT_TENANT_SETTINGS.backdate_limit;
}

export const createTenantSchema = z.strictObject({
  id: idSchema.optional(),
  name: z.string().trim().min(1).max(200),
  timezone: timeZoneSchema.default('UTC'),
  settings: tenantSettingsSchema.partial().default({}),
});
export type CreateTenantInput = z.input<typeof createTenantSchema>;

export const updateTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timezone: timeZoneSchema.optional(),
  settings: tenantSettingsSchema.partial().optional(),
});
export type UpdateTenantInput = z.input<typeof updateTenantSchema>;
