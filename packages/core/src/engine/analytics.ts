import {
  type AnalyticsBudget,
  type AnalyticsCounts,
  type AnalyticsDay,
  type AnalyticsSummary,
  analyticsRangeSchema,
  MAX_ANALYTICS_DAYS,
} from '../domain/analytics.js';
import type { Budget } from '../domain/budget.js';
import { UnprocessableInputError } from '../errors.js';
import { addDays, localDays, localNow, periodKey, startOfDate } from '../time.js';
import type { Operation } from './operation.js';
import { parseInput } from './parse-input.js';

/** The name a top rule gets when it was deleted since it issued. */
export const DELETED_RULE_NAME = '(deleted rule)';
const DEFAULT_DAYS = 30;
const TOP_RULES = 10;
/** How many of the range's last days the projected exhaustion averages over. */
const BURN_DAYS = 7;

function zeros(): AnalyticsCounts {
  return {
    events: 0,
    enrolments: 0,
    issued: 0,
    redeemed: 0,
    points_earned: 0,
    points_spent: 0,
    points_expired: 0,
  };
}

async function activeBudgets(op: Operation): Promise<Budget[]> {
  const all: Budget[] = [];
  let cursor: string | undefined;
  do {
    const page = await op.tx.budgets.list({ limit: 200, cursor });
    all.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return all.filter((b) => b.active).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * `engine.analytics.summary`: the tenant's activity per local day of the range, its budgets and
 * top rules. Days are cut in the tenant's time zone here (23- and 25-hour days included) and the
 * store aggregates over those instants.
 */
export async function analyticsSummary(op: Operation, raw: unknown): Promise<AnalyticsSummary> {
  const input = parseInput(analyticsRangeSchema, raw ?? {}, 'analytics range');
  const timeZone = op.tenant.timezone;
  const today = localNow(op.now, timeZone).date;
  const to = input.to ?? today;
  const from = input.from ?? addDays(to, 1 - DEFAULT_DAYS);
  if (to < from) {
    throw new UnprocessableInputError(`Invalid analytics range: to (${to}) is before from (${from})`, [
      { path: 'to', message: 'must be on or after from', code: 'too_small' },
    ]);
  }
  if (addDays(from, MAX_ANALYTICS_DAYS - 1) < to) {
    throw new UnprocessableInputError(
      `Invalid analytics range: ${from} to ${to} is more than ${MAX_ANALYTICS_DAYS} days`,
      [
        {
          path: 'to',
          message: `must be at most ${MAX_ANALYTICS_DAYS} days from from (both included)`,
          code: 'too_big',
        },
      ],
    );
  }
  const local = localDays(from, to, timeZone);
  const buckets = local.map(({ start, end }) => ({ start, end }));
  const { tx } = op;

  const activity = await tx.analytics.activity(buckets);
  const totals = zeros();
  const days: AnalyticsDay[] = local.map(({ date }, i) => {
    const counts = activity[i] ?? zeros();
    for (const key of Object.keys(totals) as Array<keyof AnalyticsCounts>) totals[key] += counts[key];
    return { date, ...counts };
  });

  const charges = new Map<string, number[]>();
  for (const row of await tx.analytics.budgetCharges(buckets)) {
    let amounts = charges.get(row.budget_id);
    if (amounts === undefined) {
      amounts = local.map(() => 0);
      charges.set(row.budget_id, amounts);
    }
    amounts[row.bucket] = row.amount;
  }
  const budgets: AnalyticsBudget[] = [];
  for (const budget of await activeBudgets(op)) {
    const current = periodKey(op.now, budget.period, timeZone);
    const period = await tx.budgets.getPeriod(budget.id, current);
    const limit = period?.limit ?? budget.limit;
    const used = period === null ? 0 : period.reserved + period.utilized + period.spent;
    const remaining = Math.max(0, limit - used);
    const amounts = charges.get(budget.id) ?? local.map(() => 0);
    let projected: string | null = null;
    if (remaining === 0) {
      const last = await tx.analytics.lastCharge(budget.id, current);
      projected = last === null ? today : localNow(last, timeZone).date;
    } else {
      const recent = amounts.slice(-BURN_DAYS);
      const rate = recent.reduce((sum, a) => sum + a, 0) / recent.length;
      if (rate > 0) {
        const date = addDays(today, Math.ceil(remaining / rate));
        const inPeriod =
          budget.period === 'none' ||
          periodKey(startOfDate(date, timeZone), budget.period, timeZone) === current;
        projected = inPeriod ? date : null;
      }
    }
    budgets.push({
      id: budget.id,
      name: budget.name,
      unit: budget.unit,
      limit,
      period: budget.period,
      hard_cap: budget.hard_cap,
      current_period: current,
      used,
      remaining,
      days: local.map(({ date }, i) => ({ date, amount: amounts[i] ?? 0 })),
      projected_exhaustion: projected,
    });
  }

  const first = local[0];
  const last = local[local.length - 1];
  const top =
    first === undefined || last === undefined
      ? []
      : await tx.analytics.topRules(first.start, last.end, TOP_RULES);
  return {
    from,
    to,
    timezone: timeZone,
    currency: op.tenant.settings.currency,
    days,
    totals,
    points_liability: await tx.analytics.pointsLiability(),
    budgets,
    top_rules: top.map((r) => ({ rule_id: r.rule_id, name: r.name ?? DELETED_RULE_NAME, issued: r.issued })),
  };
}
