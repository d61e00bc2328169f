import { z } from 'zod';
import type { BudgetPeriodUnit } from './budget.js';
import { dateSchema } from './common.js';

/** The longest range `engine.analytics.summary` answers, in days (both ends included). */
export const MAX_ANALYTICS_DAYS = 366;

/**
 * The days of an analytics summary: local calendar dates (`YYYY-MM-DD`) in the tenant's time zone,
 * both included. Default: the 30 days ending today; `to` alone: the 30 days ending then; `from`
 * alone: from then to today.
 */
export const analyticsRangeSchema = z.strictObject({
  from: dateSchema.optional().meta({ description: 'First day (tenant time zone), YYYY-MM-DD' }),
  to: dateSchema.optional().meta({ description: 'Last day (tenant time zone), YYYY-MM-DD; default today' }),
});
export type AnalyticsRange = z.input<typeof analyticsRangeSchema>;

/** What happened on one day (or over the range: the totals). */
export interface AnalyticsCounts {
  /** Events whose `occurred_at` falls in the day. */
  events: number;
  /** Customers enrolled that day. */
  enrolments: number;
  /** Issuances created that day, whatever their state now (reserved, issued, redeemed, expired, cancelled). */
  issued: number;
  /** Issuances redeemed that day (by `redeemed_at`). */
  redeemed: number;
  /** Points credited (the points ledger's `earn` rows). */
  points_earned: number;
  /** Points spent on rewards (`redeem` rows), as a positive number. */
  points_spent: number;
  /** Points expired (`expire` rows), as a positive number. Adjustments count in none of the three. */
  points_expired: number;
}

export interface AnalyticsDay extends AnalyticsCounts {
  date: string;
}

/** An active budget: its current period and what was charged to it each day of the range. */
export interface AnalyticsBudget {
  id: string;
  name: string;
  unit: string;
  /** The current period's limit (top-ups included); the budget's limit when the period has no row yet. */
  limit: number;
  period: BudgetPeriodUnit;
  hard_cap: boolean;
  /** The current period's key (`2026-11`, `2026-W47`, `all`). */
  current_period: string;
  /** reserved + utilized + spent of the current period. */
  used: number;
  /** max(0, limit - used). */
  remaining: number;
  /** Per day of the range: the amount charged net (reserved, minus released), from the budget ledger. */
  days: Array<{ date: string; amount: number }>;
  /**
   * When `remaining` is 0: the day of the current period's last charge (today if none). Else, when
   * the average daily charge over the range's last 7 days (fewer for a shorter range) is above 0:
   * today plus ceil(remaining / that average) days, if that day is still in the current period;
   * otherwise null.
   */
  projected_exhaustion: string | null;
}

export interface AnalyticsTopRule {
  rule_id: string;
  /** `(deleted rule)` when the rule was deleted since. */
  name: string;
  /** Issuances the rule created in the range (any state). */
  issued: number;
}

/** `engine.analytics.summary`: a tenant's activity over a range of local days. */
export interface AnalyticsSummary {
  from: string;
  to: string;
  timezone: string;
  currency: string;
  /** Every day of the range, in order, zeros included. */
  days: AnalyticsDay[];
  totals: AnalyticsCounts;
  /** The sum of every customer's points balance now (not bound to the range). */
  points_liability: number;
  budgets: AnalyticsBudget[];
  /** Up to 10 rules by issuances created in the range, most first, ties by name. */
  top_rules: AnalyticsTopRule[];
}
