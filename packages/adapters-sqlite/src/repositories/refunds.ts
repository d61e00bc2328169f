import type { Page, PageRequest, RefundListFilter, RefundRecord, RefundRepository } from '@laas/core';
import { fromBool, fromJson, toBool, toJson, toTs } from '../mapping/helpers.js';
import { defineQuery, p } from '../query.js';
import type { RefundsTable } from '../schema.js';
import { getDef, insertDef, listPage, type Scope } from './scope.js';

function toRow(r: RefundRecord): RefundsTable {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    customer_id: r.customer_id,
    original_event_id: r.original_event_id,
    amount: r.amount,
    full: toBool(r.full),
    points_clawed: r.points_clawed,
    points_shortfall: r.points_shortfall,
    points: toJson(r.points),
    cancelled_issuance_ids: toJson(r.cancelled_issuance_ids),
    redeemed_issuance_ids: toJson(r.redeemed_issuance_ids),
    created_at: toTs(r.created_at),
  };
}

function fromRow(r: RefundsTable): RefundRecord {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    created_at: r.created_at,
    original_event_id: r.original_event_id,
    amount: r.amount,
    full: fromBool(r.full),
    points_clawed: r.points_clawed,
    points_shortfall: r.points_shortfall,
    points: fromJson(r.points),
    cancelled_issuance_ids: fromJson(r.cancelled_issuance_ids),
    redeemed_issuance_ids: fromJson(r.redeemed_issuance_ids),
  };
}

const forOriginal = defineQuery((db) =>
  db
    .selectFrom('refunds')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('original_event_id', '=', p('original_event_id'))
    .orderBy('id', 'asc'),
);

export class SqliteRefundRepository implements RefundRepository {
  constructor(private readonly s: Scope) {}

  async insert(record: RefundRecord): Promise<void> {
    const row = this.s.own(toRow(record), 'refund');
    this.s.unique('refund', row, () => this.s.r.run(insertDef('refunds', row), row));
  }

  async listForOriginal(originalEventId: string): Promise<RefundRecord[]> {
    return this.s.r
      .all<RefundsTable>(forOriginal, { tenant_id: this.s.tenantId, original_event_id: originalEventId })
      .map(fromRow);
  }

  async get(id: string): Promise<RefundRecord | null> {
    const row = this.s.r.get<RefundsTable>(getDef('refunds'), { tenant_id: this.s.tenantId, id });
    return row === undefined ? null : fromRow(row);
  }

  async list(filter: RefundListFilter, page: PageRequest): Promise<Page<RefundRecord>> {
    return listPage(this.s, 'refunds', page, fromRow, (q) => {
      let query = q;
      if (filter.customer_id !== undefined) query = query.where('customer_id', '=', filter.customer_id);
      if (filter.original_event_id !== undefined)
        query = query.where('original_event_id', '=', filter.original_event_id);
      return query;
    });
  }
}
