import type { Issuance, IssuanceListFilter, IssuanceRepository, IssuanceState } from '@laas/core';
import { type SelectQueryBuilder, sql } from 'kysely';
import * as m from '../mapping.js';
import type { PgDatabase } from '../schema.js';
import { defer, ownRow, paginate, type TxContext, table, validId } from './context.js';

/** A customer named by id, or by a subquery that selects its id (ingest's opening read). */
export type CustomerId = string | SelectQueryBuilder<PgDatabase, 'customers', { id: string }>;

/** `issuances.countEarned` as a query: answers one row with `n`. */
export function countEarnedQuery(
  ctx: TxContext,
  ruleId: string,
  customerId: CustomerId | null,
  since: string | null,
) {
  let q = ctx.db
    .selectFrom('issuances')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', ctx.tenantId)
    .where('rule_id', '=', ruleId);
  if (customerId !== null) q = q.where('customer_id', '=', customerId);
  if (since !== null) q = q.where('earned_at', '>=', new Date(since));
  return q;
}

/** `issuances.lastEarnedAt` as a query: answers one row with `last`. */
export function lastEarnedQuery(ctx: TxContext, ruleId: string, customerId: CustomerId) {
  return ctx.db
    .selectFrom('issuances')
    .select((eb) => eb.fn.max('earned_at').as('last'))
    .where('tenant_id', '=', ctx.tenantId)
    .where('rule_id', '=', ruleId)
    .where('customer_id', '=', customerId);
}

export function issuanceRepository(ctx: TxContext): IssuanceRepository {
  return {
    async insert(issuance: Issuance) {
      ownRow(ctx, issuance.tenant_id, 'issuance');
      await defer(ctx, ctx.db.insertInto('issuances').values(m.fromIssuance(issuance)));
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('issuances')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toIssuance(row) : null;
    },
    async getByCode(code) {
      const row = await ctx.db
        .selectFrom('issuances')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('code', '=', code)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? m.toIssuance(row) : null;
    },
    async transition(next, from: IssuanceState) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromIssuance(next);
      // Compare-and-set: the WHERE re-checks the state on the latest row version (READ COMMITTED
      // waits for a concurrent writer, then re-evaluates), so exactly one of two racers wins.
      const row = await ctx.db
        .updateTable('issuances')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', next.id)
        .where('state', '=', from)
        .returningAll()
        .executeTakeFirst();
      return row ? m.toIssuance(row) : null;
    },
    async list(filter: IssuanceListFilter, page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('issuances').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (filter.customer_id !== undefined) {
            if (!validId(filter.customer_id)) return Promise.resolve([]);
            q = q.where('customer_id', '=', filter.customer_id);
          }
          if (filter.rule_id !== undefined) {
            if (!validId(filter.rule_id)) return Promise.resolve([]);
            q = q.where('rule_id', '=', filter.rule_id);
          }
          if (filter.reward_id !== undefined) {
            if (!validId(filter.reward_id)) return Promise.resolve([]);
            q = q.where('reward_id', '=', filter.reward_id);
          }
          if (filter.state !== undefined) q = q.where('state', '=', filter.state);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toIssuance,
      );
    },
    async countEarned(ruleId, customerId, since) {
      const row = await countEarnedQuery(ctx, ruleId, customerId, since).executeTakeFirstOrThrow();
      return m.int(row.n);
    },
    async lastEarnedAt(ruleId, customerId) {
      const row = await lastEarnedQuery(ctx, ruleId, customerId).executeTakeFirst();
      return row?.last ? m.ts(row.last) : null;
    },
    async listDue(now, limit) {
      // Oldest due first (by the instant it fell due); rows another worker holds are skipped.
      const { rows } = await sql<m.IssuanceRow>`
        SELECT * FROM ${table(ctx, 'issuances')}
        WHERE tenant_id = ${ctx.tenantId}::uuid
          AND ((state = 'issued' AND expires_at <= ${now}::timestamptz)
            OR (state = 'reserved' AND reserve_deadline <= ${now}::timestamptz))
        ORDER BY CASE WHEN state = 'issued' THEN expires_at ELSE reserve_deadline END, id
        LIMIT ${Math.max(0, Math.trunc(limit))}
        FOR UPDATE SKIP LOCKED`.execute(ctx.db);
      return rows.map(m.toIssuance);
    },
  };
}
