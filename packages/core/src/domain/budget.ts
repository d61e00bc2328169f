import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { idSchema, nonNegativeInt, positiveInt } from './common.js';
import type { BudgetCounter } from './issuance-state.js';

export type BudgetPeriodUnit = 'none' | 'day' | 'week' | 'month' | 'year';

/** A spending limit per period, in `unit` (a currency's minor units, or `points`). */
export interface Budget {
  id: string;
  tenant_id: string;
  name: string;
  unit: string;
  /** The limit of each new period (top-ups raise one period's limit). */
  limit: number;
  period: BudgetPeriodUnit;
  /** A hard cap refuses a reservation that would commit more than the limit. */
  hard_cap: boolean;
  /** `0.8`: a `budget.threshold` outbox row once per period when 80% is committed. Null: none. */
  soft_cap_ratio: number | null;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One period's counters; `reserved + utilized + spent` is what the period has committed. */
export interface BudgetPeriod {
  budget_id: string;
  /** `all` for a budget without periods, else the period key (`2026-11`). */
  period: string;
  limit: number;
  reserved: number;
  utilized: number;
  spent: number;
  threshold_notified: boolean;
  exhausted_notified: boolean;
}

export type BudgetLedgerKind = 'topup' | 'reserve' | 'release' | 'charge' | 'spend' | 'adjust';

/**
 * One change of a period: `amount` moved from counter `from` to counter `to` (null: from or to
 * outside the budget; `limit` for top-ups). Each counter equals the sum of the amounts moved into
 * it minus the amounts moved out of it.
 */
export interface BudgetLedgerEntry {
  id: string;
  tenant_id: string;
  budget_id: string;
  period: string;
  issuance_id: string | null;
  kind: BudgetLedgerKind;
  amount: number;
  from: BudgetCounter | 'limit' | null;
  to: BudgetCounter | 'limit' | null;
  at: Timestamp;
}

const budgetFields = {
  name: z.string().trim().min(1).max(200),
  unit: z
    .string()
    .regex(/^([A-Z]{3}|points)$/, { message: 'must be a currency code like "USD" or "points"' }),
  limit: nonNegativeInt,
  period: z.enum(['none', 'day', 'week', 'month', 'year']),
  hard_cap: z.boolean(),
  soft_cap_ratio: z.number().gt(0).lt(1).nullable(),
  active: z.boolean(),
};

export const createBudgetSchema = z.strictObject({
  id: idSchema.optional(),
  name: budgetFields.name,
  unit: budgetFields.unit.default('USD'),
  limit: budgetFields.limit,
  period: budgetFields.period.default('month'),
  hard_cap: budgetFields.hard_cap.default(true),
  soft_cap_ratio: budgetFields.soft_cap_ratio.default(0.8),
  active: budgetFields.active.default(true),
});
export type CreateBudgetInput = z.input<typeof createBudgetSchema>;

export const updateBudgetSchema = z.strictObject({
  name: budgetFields.name.optional(),
  limit: budgetFields.limit.optional(),
  hard_cap: budgetFields.hard_cap.optional(),
  soft_cap_ratio: budgetFields.soft_cap_ratio.optional(),
  active: budgetFields.active.optional(),
});
export type UpdateBudgetInput = z.input<typeof updateBudgetSchema>;

export const topUpSchema = z.strictObject({
  amount: positiveInt,
  /** The period to top up; default: the current one. */
  period: z.string().min(1).max(16).optional(),
});
export type TopUpInput = z.input<typeof topUpSchema>;
