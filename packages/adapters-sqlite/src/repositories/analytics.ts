import type {
  AnalyticsRepository,
  BucketActivity,
  BudgetBucketCharge,
  RuleIssuedCount,
  TimeBucket,
  Timestamp,
} from '@laas/core';
import { toTs } from '../mapping/helpers.js';
import { defineSql } from '../query.js';
import type { Scope } from './scope.js';

/**
 * The buckets, from one JSON argument `[[start, end], ...]`: `i` is the bucket's index. Each
 * measure below is a correlated `count` or `sum` over one `(tenant_id, <timestamp>)` index range
 * per bucket (migration 0007), so the query reads only the rows inside the range.
 */
const BUCKETS = `WITH b AS (
  SELECT CAST(key AS INTEGER) AS i, json_extract(value, '$[0]') AS s, json_extract(value, '$[1]') AS e
  FROM json_each(@buckets))`;

const activity = defineSql(`${BUCKETS}
SELECT b.i,
  (SELECT count(*) FROM events x
     WHERE x.tenant_id = @tenant_id AND x.occurred_at >= b.s AND x.occurred_at < b.e) AS events,
  (SELECT count(*) FROM customers x
     WHERE x.tenant_id = @tenant_id AND x.enrolled_at >= b.s AND x.enrolled_at < b.e) AS enrolments,
  (SELECT count(*) FROM issuances x
     WHERE x.tenant_id = @tenant_id AND x.created_at >= b.s AND x.created_at < b.e) AS issued,
  (SELECT count(*) FROM issuances x
     WHERE x.tenant_id = @tenant_id AND x.redeemed_at IS NOT NULL
       AND x.redeemed_at >= b.s AND x.redeemed_at < b.e) AS redeemed,
  (SELECT coalesce(sum(x.amount), 0) FROM points_ledger x
     WHERE x.tenant_id = @tenant_id AND x.kind = 'earn' AND x.at >= b.s AND x.at < b.e) AS points_earned,
  (SELECT coalesce(-sum(x.amount), 0) FROM points_ledger x
     WHERE x.tenant_id = @tenant_id AND x.kind = 'redeem' AND x.at >= b.s AND x.at < b.e) AS points_spent,
  (SELECT coalesce(-sum(x.amount), 0) FROM points_ledger x
     WHERE x.tenant_id = @tenant_id AND x.kind = 'expire' AND x.at >= b.s AND x.at < b.e) AS points_expired
FROM b ORDER BY b.i`);

// CROSS JOIN keeps the buckets outside (SQLite does not reorder it): one index range of
// budget_ledger_at per bucket, rather than every ledger row of the tenant against every bucket.
const budgetCharges = defineSql(`${BUCKETS}
SELECT l.budget_id AS budget_id, b.i AS bucket,
  sum(CASE l.kind WHEN 'reserve' THEN l.amount ELSE -l.amount END) AS amount
FROM b CROSS JOIN budget_ledger l
  ON l.tenant_id = @tenant_id AND l.at >= b.s AND l.at < b.e AND l.kind IN ('reserve', 'release')
GROUP BY l.budget_id, b.i
ORDER BY l.budget_id, b.i`);

const lastCharge = defineSql(`SELECT max(at) AS at FROM budget_ledger
WHERE tenant_id = @tenant_id AND budget_id = @budget_id AND period = @period AND kind = 'reserve'`);

const topRules = defineSql(`SELECT i.rule_id AS rule_id, r.name AS name, count(*) AS issued
FROM issuances i LEFT JOIN rules r ON r.tenant_id = i.tenant_id AND r.id = i.rule_id
WHERE i.tenant_id = @tenant_id AND i.rule_id IS NOT NULL AND i.created_at >= @start AND i.created_at < @end
GROUP BY i.rule_id, r.name
ORDER BY issued DESC, coalesce(r.name, '(deleted rule)'), i.rule_id
LIMIT @limit`);

const liability = defineSql(
  'SELECT coalesce(sum(points_balance), 0) AS total FROM customers WHERE tenant_id = @tenant_id',
);

function bucketsJson(buckets: readonly TimeBucket[]): string {
  return JSON.stringify(buckets.map((b) => [toTs(b.start), toTs(b.end)]));
}

export class SqliteAnalyticsRepository implements AnalyticsRepository {
  constructor(private readonly s: Scope) {}

  async activity(buckets: readonly TimeBucket[]): Promise<BucketActivity[]> {
    const rows = this.s.r.all<BucketActivity & { i: number }>(activity, {
      tenant_id: this.s.tenantId,
      buckets: bucketsJson(buckets),
    });
    return rows.map(({ i: _i, ...counts }) => counts);
  }

  async budgetCharges(buckets: readonly TimeBucket[]): Promise<BudgetBucketCharge[]> {
    return this.s.r.all<BudgetBucketCharge>(budgetCharges, {
      tenant_id: this.s.tenantId,
      buckets: bucketsJson(buckets),
    });
  }

  async lastCharge(budgetId: string, period: string): Promise<Timestamp | null> {
    const row = this.s.r.get<{ at: string | null }>(lastCharge, {
      tenant_id: this.s.tenantId,
      budget_id: budgetId,
      period,
    });
    return row?.at ?? null;
  }

  async topRules(start: Timestamp, end: Timestamp, limit: number): Promise<RuleIssuedCount[]> {
    return this.s.r.all<RuleIssuedCount>(topRules, {
      tenant_id: this.s.tenantId,
      start: toTs(start),
      end: toTs(end),
      limit,
    });
  }

  async pointsLiability(): Promise<number> {
    return this.s.r.get<{ total: number }>(liability, { tenant_id: this.s.tenantId })?.total ?? 0;
  }
}
