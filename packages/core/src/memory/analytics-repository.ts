import type {
  AnalyticsRepository,
  BucketActivity,
  BudgetBucketCharge,
  RuleIssuedCount,
  TimeBucket,
} from '../ports/repositories.js';
import { ms, type TenantData } from './state.js';

/** What the analytics repository needs of a MemoryStore transaction. */
export interface AnalyticsCtx {
  readonly data: TenantData;
  /** Throws once the transaction has ended. */
  live(): void;
}

/** The index of the bucket holding `at`, or -1: a binary search over ascending buckets. */
function bucketFinder(buckets: readonly TimeBucket[]): (at: string | null) => number {
  const starts = buckets.map((b) => ms(b.start));
  const ends = buckets.map((b) => ms(b.end));
  return (at) => {
    if (at === null) return -1;
    const t = ms(at);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (t < (starts[mid] as number)) hi = mid - 1;
      else if (t >= (ends[mid] as number)) lo = mid + 1;
      else return mid;
    }
    return -1;
  };
}

/** Binary (code unit) order, as SQLite's BINARY and PostgreSQL's "C" collation compare. */
function binary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The MemoryStore's {@link AnalyticsRepository}: the tenant's rows scanned once per measure (the
 * SQL stores aggregate with indexed range queries instead).
 */
export function analyticsRepository(ctx: AnalyticsCtx): AnalyticsRepository {
  const { data } = ctx;
  return {
    async activity(buckets) {
      ctx.live();
      const find = bucketFinder(buckets);
      const out: BucketActivity[] = buckets.map(() => ({
        events: 0,
        enrolments: 0,
        issued: 0,
        redeemed: 0,
        points_earned: 0,
        points_spent: 0,
        points_expired: 0,
      }));
      const add = (i: number, key: keyof BucketActivity, n: number): void => {
        const row = out[i];
        if (row !== undefined) row[key] += n;
      };
      for (const event of data.events.rows.values()) add(find(event.occurred_at), 'events', 1);
      for (const customer of data.customers.rows.values()) add(find(customer.enrolled_at), 'enrolments', 1);
      for (const issuance of data.issuances.rows.values()) {
        add(find(issuance.created_at), 'issued', 1);
        add(find(issuance.redeemed_at), 'redeemed', 1);
      }
      for (const entry of data.pointsLedger.rows.values()) {
        if (entry.kind === 'earn') add(find(entry.at), 'points_earned', entry.amount);
        else if (entry.kind === 'redeem') add(find(entry.at), 'points_spent', -entry.amount);
        else if (entry.kind === 'expire') add(find(entry.at), 'points_expired', -entry.amount);
      }
      return out;
    },
    async budgetCharges(buckets) {
      ctx.live();
      const find = bucketFinder(buckets);
      const sums = new Map<string, BudgetBucketCharge>();
      for (const entry of data.budgetLedger.rows.values()) {
        if (entry.kind !== 'reserve' && entry.kind !== 'release') continue;
        const bucket = find(entry.at);
        if (bucket === -1) continue;
        const key = `${entry.budget_id}\u0000${bucket}`;
        const row = sums.get(key) ?? { budget_id: entry.budget_id, bucket, amount: 0 };
        row.amount += entry.kind === 'reserve' ? entry.amount : -entry.amount;
        sums.set(key, row);
      }
      return [...sums.values()].sort((a, b) => binary(a.budget_id, b.budget_id) || a.bucket - b.bucket);
    },
    async lastCharge(budgetId, period) {
      ctx.live();
      let last: string | null = null;
      for (const entry of data.budgetLedger.rows.values()) {
        if (entry.budget_id !== budgetId || entry.period !== period || entry.kind !== 'reserve') continue;
        if (last === null || ms(entry.at) > ms(last)) last = entry.at;
      }
      return last;
    },
    async topRules(start, end, limit) {
      ctx.live();
      const from = ms(start);
      const to = ms(end);
      const counts = new Map<string, number>();
      for (const issuance of data.issuances.rows.values()) {
        if (issuance.rule_id === null) continue;
        const t = ms(issuance.created_at);
        if (t < from || t >= to) continue;
        counts.set(issuance.rule_id, (counts.get(issuance.rule_id) ?? 0) + 1);
      }
      const rows: RuleIssuedCount[] = [...counts].map(([rule_id, issued]) => ({
        rule_id,
        name: data.rules.get(rule_id)?.name ?? null,
        issued,
      }));
      rows.sort(
        (a, b) =>
          b.issued - a.issued ||
          binary(a.name ?? '(deleted rule)', b.name ?? '(deleted rule)') ||
          binary(a.rule_id, b.rule_id),
      );
      return rows.slice(0, limit);
    },
    async pointsLiability() {
      ctx.live();
      let total = 0;
      for (const customer of data.customers.rows.values()) total += customer.stats.points_balance;
      return total;
    },
  };
}
