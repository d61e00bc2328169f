/** What `GET /v1/tenants/:tid/analytics` answers (see the server's OpenAPI document). */
export interface DayFigures {
  date: string;
  events: number;
  enrolments: number;
  issued: number;
  redeemed: number;
  points_earned: number;
  points_spent: number;
  points_expired: number;
}

export type Totals = Omit<DayFigures, 'date'>;

export interface BudgetBurn {
  id: string;
  name: string;
  unit: string;
  limit: number;
  period: string;
  hard_cap: boolean;
  current_period: string;
  used: number;
  remaining: number;
  days: Array<{ date: string; amount: number }>;
  projected_exhaustion: string | null;
}

export interface Analytics {
  from: string;
  to: string;
  timezone: string;
  currency: string;
  days: DayFigures[];
  totals: Totals;
  points_liability: number;
  budgets: BudgetBurn[];
  top_rules: Array<{ rule_id: string; name: string; issued: number }>;
}

/** Running sums: what a budget has burnt by the end of each day. */
export function cumulative(values: readonly number[]): number[] {
  let sum = 0;
  return values.map((v) => {
    sum += v;
    return sum;
  });
}

/** The share of a budget's current period already used, as a whole percentage (0 for no limit). */
export function usedPercent(budget: Pick<BudgetBurn, 'used' | 'limit'>): number {
  return budget.limit <= 0 ? 0 : Math.round((budget.used / budget.limit) * 100);
}

/** The sentence under a budget's chart: when it runs out at the recent rate, or that it will not. */
export function exhaustionText(budget: Pick<BudgetBurn, 'remaining' | 'projected_exhaustion'>): string {
  if (budget.remaining <= 0) return 'Exhausted for this period.';
  if (budget.projected_exhaustion === null) return 'At the last 7 days’ rate, it lasts the period.';
  return `At the last 7 days’ rate, it runs out on ${budget.projected_exhaustion}.`;
}

/** The day `days` before `date` (YYYY-MM-DD, calendar arithmetic, no time zone involved). */
export function shiftDate(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
