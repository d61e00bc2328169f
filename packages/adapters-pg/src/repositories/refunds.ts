import {
  decodeCursor,
  encodeCursor,
  ForeignTenantRowError,
  isUuid,
  type Page,
  type PageRequest,
  pageLimit,
  type RefundPointsLine,
  type RefundRecord,
  type RefundRepository,
} from '@laas/core';
import type { Selectable } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import type { RefundsTable } from '../schema.js';
import type { TxContext } from './context.js';

function fromRow(r: Selectable<RefundsTable>): RefundRecord {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    created_at: m.ts(r.created_at),
    original_event_id: r.original_event_id,
    amount: m.intOrNull(r.amount),
    full: r.full,
    points_clawed: m.int(r.points_clawed),
    points_shortfall: m.int(r.points_shortfall),
    points: r.points as RefundPointsLine[],
    cancelled_issuance_ids: r.cancelled_issuance_ids as string[],
    redeemed_issuance_ids: r.redeemed_issuance_ids as string[],
  };
}

/** The PostgreSQL {@link RefundRepository}: one row per refund event, scoped like every table. */
export function refundRepository(ctx: TxContext): RefundRepository {
  return {
    async insert(record) {
      if (record.tenant_id !== ctx.tenantId)
        throw new ForeignTenantRowError('refund', record.tenant_id, ctx.tenantId);
      await translated(() =>
        ctx.db
          .insertInto('refunds')
          .values({
            tenant_id: record.tenant_id,
            id: record.id,
            customer_id: record.customer_id,
            original_event_id: record.original_event_id,
            amount: record.amount,
            full: record.full,
            points_clawed: record.points_clawed,
            points_shortfall: record.points_shortfall,
            points: m.json(record.points),
            cancelled_issuance_ids: m.json(record.cancelled_issuance_ids),
            redeemed_issuance_ids: m.json(record.redeemed_issuance_ids),
            created_at: record.created_at,
          })
          .execute(),
      );
    },
    async listForOriginal(originalEventId) {
      if (!isUuid(originalEventId)) return [];
      const rows = await ctx.db
        .selectFrom('refunds')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('original_event_id', '=', originalEventId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(fromRow);
    },
    async get(id) {
      if (!isUuid(id)) return null;
      const row = await ctx.db
        .selectFrom('refunds')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : fromRow(row);
    },
    async list(filter, page: PageRequest): Promise<Page<RefundRecord>> {
      const limit = pageLimit(page);
      if (
        (filter.customer_id !== undefined && !isUuid(filter.customer_id)) ||
        (filter.original_event_id !== undefined && !isUuid(filter.original_event_id))
      )
        return { items: [], next_cursor: null };
      let q = ctx.db.selectFrom('refunds').selectAll().where('tenant_id', '=', ctx.tenantId);
      if (filter.customer_id !== undefined) q = q.where('customer_id', '=', filter.customer_id);
      if (filter.original_event_id !== undefined)
        q = q.where('original_event_id', '=', filter.original_event_id);
      const after = decodeCursor(page.cursor);
      if (after !== undefined) q = q.where('id', '<', after);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(fromRow);
      const last = more ? rows[limit - 1] : undefined;
      return { items, next_cursor: last === undefined ? null : encodeCursor(last.id) };
    },
  };
}
