import type { AnalyticsRepository } from '@laas/core';
import { sql } from 'kysely';
import * as m from '../mapping.js';
import { type TxContext, table, validId } from './context.js';

/**
 * Aggregates for the console: the buckets are two arrays (`unnest ... WITH ORDINALITY`), and each
 * measure is a correlated `count` or `sum` over one `(tenant_id, <timestamp>)` index range per
 * bucket (migration 0007), so a query reads only the rows inside the range.
 */
export function analyticsRepository(ctx: TxContext): AnalyticsRepository {
  const t = ctx.tenantId;
  const bounds = (buckets: readonly { start: string; end: string }[]) => sql`unnest(
      ${buckets.map((b) => b.start)}::timestamptz[], ${buckets.map((b) => b.end)}::timestamptz[]
    ) WITH ORDINALITY AS b(s, e, i)`;
  return {
    async activity(buckets) {
      if (buckets.length === 0) return [];
      const { rows } = await sql<Record<string, string>>`
        SELECT b.i,
          (SELECT count(*) FROM ${table(ctx, 'events')} x
             WHERE x.tenant_id = ${t} AND x.occurred_at >= b.s AND x.occurred_at < b.e) AS events,
          (SELECT count(*) FROM ${table(ctx, 'customers')} x
             WHERE x.tenant_id = ${t} AND x.enrolled_at >= b.s AND x.enrolled_at < b.e) AS enrolments,
          (SELECT count(*) FROM ${table(ctx, 'issuances')} x
             WHERE x.tenant_id = ${t} AND x.created_at >= b.s AND x.created_at < b.e) AS issued,
          (SELECT count(*) FROM ${table(ctx, 'issuances')} x
             WHERE x.tenant_id = ${t} AND x.redeemed_at IS NOT NULL
               AND x.redeemed_at >= b.s AND x.redeemed_at < b.e) AS redeemed,
          (SELECT coalesce(sum(x.amount), 0) FROM ${table(ctx, 'points_ledger')} x
             WHERE x.tenant_id = ${t} AND x.kind = 'earn' AND x.at >= b.s AND x.at < b.e) AS points_earned,
          (SELECT coalesce(-sum(x.amount), 0) FROM ${table(ctx, 'points_ledger')} x
             WHERE x.tenant_id = ${t} AND x.kind = 'redeem' AND x.at >= b.s AND x.at < b.e) AS points_spent,
          (SELECT coalesce(-sum(x.amount), 0) FROM ${table(ctx, 'points_ledger')} x
             WHERE x.tenant_id = ${t} AND x.kind = 'expire' AND x.at >= b.s AND x.at < b.e) AS points_expired
        FROM ${bounds(buckets)}
        ORDER BY b.i`.execute(ctx.db);
      return rows.map((r) => ({
        events: m.int(r.events as string),
        enrolments: m.int(r.enrolments as string),
        issued: m.int(r.issued as string),
        redeemed: m.int(r.redeemed as string),
        points_earned: m.int(r.points_earned as string),
        points_spent: m.int(r.points_spent as string),
        points_expired: m.int(r.points_expired as string),
      }));
    },
    async budgetCharges(buckets) {
      if (buckets.length === 0) return [];
      const { rows } = await sql<{ budget_id: string; bucket: string; amount: string }>`
        SELECT c.budget_id, b.i - 1 AS bucket, c.amount
        FROM ${bounds(buckets)}
        CROSS JOIN LATERAL (
          SELECT l.budget_id, sum(CASE l.kind WHEN 'reserve' THEN l.amount ELSE -l.amount END) AS amount
          FROM ${table(ctx, 'budget_ledger')} l
          WHERE l.tenant_id = ${t} AND l.at >= b.s AND l.at < b.e AND l.kind IN ('reserve', 'release')
          GROUP BY l.budget_id
        ) c
        ORDER BY c.budget_id, b.i`.execute(ctx.db);
      return rows.map((r) => ({ budget_id: r.budget_id, bucket: m.int(r.bucket), amount: m.int(r.amount) }));
    },
    async lastCharge(budgetId, period) {
      if (!validId(budgetId)) return null;
      const { rows } = await sql<{ at: Date | null }>`
        SELECT max(at) AS at FROM ${table(ctx, 'budget_ledger')}
        WHERE tenant_id = ${t} AND budget_id = ${budgetId} AND period = ${period} AND kind = 'reserve'`.execute(
        ctx.db,
      );
      const at = rows[0]?.at ?? null;
      return at === null ? null : m.ts(at);
    },
    async topRules(start, end, limit) {
      const { rows } = await sql<{ rule_id: string; name: string | null; issued: string }>`
        SELECT i.rule_id, r.name, count(*) AS issued
        FROM ${table(ctx, 'issuances')} i
        LEFT JOIN ${table(ctx, 'rules')} r ON r.tenant_id = i.tenant_id AND r.id = i.rule_id
        WHERE i.tenant_id = ${t} AND i.rule_id IS NOT NULL
          AND i.created_at >= ${start}::timestamptz AND i.created_at < ${end}::timestamptz
        GROUP BY i.rule_id, r.name
        ORDER BY issued DESC, coalesce(r.name, '(deleted rule)') COLLATE "C", i.rule_id
        LIMIT ${limit}`.execute(ctx.db);
      return rows.map((r) => ({ rule_id: r.rule_id, name: r.name, issued: m.int(r.issued) }));
    },
    async pointsLiability() {
      const { rows } = await sql<{ total: string }>`
        SELECT coalesce(sum(points_balance), 0) AS total FROM ${table(ctx, 'customers')}
        WHERE tenant_id = ${t}`.execute(ctx.db);
      return m.int(rows[0]?.total ?? 0);
    },
  };
}
