import {
  type PointsLedgerEntry,
  type PointsLot,
  type PointsRepository,
  StateConflictError,
} from '@laas/core';
import { sql } from 'kysely';
import * as m from '../mapping.js';
import { defer, ownRow, paginate, type TxContext, table, validId } from './context.js';

export function pointsRepository(ctx: TxContext): PointsRepository {
  return {
    async insertLot(lot: PointsLot) {
      ownRow(ctx, lot.tenant_id, 'points lot');
      await defer(ctx, ctx.db.insertInto('points_lots').values(m.fromPointsLot(lot)));
    },
    async consumeLots(customerId, amount) {
      if (amount <= 0) return [];
      // Lock the customer's open lots, those expiring first, then take from them in order.
      const { rows } = await sql<{ id: string; remaining: string }>`
        SELECT id, remaining FROM ${table(ctx, 'points_lots')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND customer_id = ${customerId}::uuid AND remaining > 0
        ORDER BY expires_at ASC NULLS LAST, earned_at ASC, id ASC
        FOR UPDATE`.execute(ctx.db);
      const taken: Array<{ lot_id: string; amount: number }> = [];
      let left = amount;
      for (const row of rows) {
        if (left === 0) break;
        const take = Math.min(left, m.int(row.remaining));
        taken.push({ lot_id: row.id, amount: take });
        left -= take;
      }
      if (left > 0) {
        throw new StateConflictError(
          `The customer's points lots hold ${amount - left}, less than ${amount}`,
          {
            customer_id: customerId,
            amount,
          },
        );
      }
      await sql`
        UPDATE ${table(ctx, 'points_lots')} AS l SET remaining = l.remaining - t.take
        FROM unnest(${taken.map((t) => t.lot_id)}::uuid[], ${taken.map((t) => t.amount)}::bigint[]) AS t(id, take)
        WHERE l.tenant_id = ${ctx.tenantId}::uuid AND l.id = t.id`.execute(ctx.db);
      return taken;
    },
    async listDueLots(now, limit) {
      const { rows } = await sql<m.PointsLotRow>`
        SELECT * FROM ${table(ctx, 'points_lots')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND remaining > 0 AND expires_at <= ${now}::timestamptz
        ORDER BY expires_at, id
        LIMIT ${Math.max(0, Math.trunc(limit))}
        FOR UPDATE SKIP LOCKED`.execute(ctx.db);
      return rows.map(m.toPointsLot);
    },
    async expireLot(lotId) {
      if (!validId(lotId)) return 0;
      const lots = table(ctx, 'points_lots');
      const { rows } = await sql<{ remaining: string }>`
        WITH old AS (
          SELECT id, remaining FROM ${lots}
          WHERE tenant_id = ${ctx.tenantId}::uuid AND id = ${lotId}::uuid
          FOR UPDATE)
        UPDATE ${lots} AS l SET remaining = 0 FROM old
        WHERE l.tenant_id = ${ctx.tenantId}::uuid AND l.id = old.id
        RETURNING old.remaining`.execute(ctx.db);
      return rows[0] ? m.int(rows[0].remaining) : 0;
    },
    async listLots(customerId) {
      if (!validId(customerId)) return [];
      const rows = await ctx.db
        .selectFrom('points_lots')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('customer_id', '=', customerId)
        .orderBy('earned_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(m.toPointsLot);
    },
    async appendLedger(entry: PointsLedgerEntry) {
      ownRow(ctx, entry.tenant_id, 'points ledger entry');
      await defer(ctx, ctx.db.insertInto('points_ledger').values(m.fromPointsLedgerEntry(entry)));
    },
    async listLedger(customerId, page) {
      return paginate(
        page,
        (after, limit) => {
          if (!validId(customerId)) return Promise.resolve([]);
          let q = ctx.db
            .selectFrom('points_ledger')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('customer_id', '=', customerId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toPointsLedgerEntry,
      );
    },
    async netForIssuance(customerId, issuanceId) {
      if (!validId(customerId) || !validId(issuanceId)) return 0;
      const row = await ctx.db
        .selectFrom('points_ledger')
        .select(sql<string>`coalesce(sum(amount), 0)`.as('net'))
        .where('tenant_id', '=', ctx.tenantId)
        .where('customer_id', '=', customerId)
        .where('issuance_id', '=', issuanceId)
        .executeTakeFirst();
      return m.int(row?.net ?? 0);
    },
  };
}
