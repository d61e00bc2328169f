import {
  LaasError,
  type Page,
  type PageRequest,
  type PointsLedgerEntry,
  type PointsLot,
  type PointsRepository,
  type Timestamp,
} from '@laas/core';
import { sql } from 'kysely';
import { toTs } from '../mapping/helpers.js';
import {
  pointsLedgerFromRow,
  pointsLedgerToRow,
  pointsLotFromRow,
  pointsLotToRow,
} from '../mapping/points.js';
import { defineQuery, p } from '../query.js';
import type { PointsLotsTable } from '../schema.js';
import { getRow, insertDef, listPage, type Scope } from './scope.js';

/** Spending order: expiring first, never-expiring last, then the oldest earned. */
const spendableLots = defineQuery((db) =>
  db
    .selectFrom('points_lots')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('customer_id', '=', p('customer_id'))
    .where('remaining', '>', 0)
    .orderBy(sql`expires_at IS NULL`)
    .orderBy('expires_at', 'asc')
    .orderBy('earned_at', 'asc')
    .orderBy('id', 'asc'),
);
/** Newest first, like every list. */
const allLots = defineQuery((db) =>
  db
    .selectFrom('points_lots')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('customer_id', '=', p('customer_id'))
    .orderBy('id', 'desc'),
);

const setRemaining = defineQuery((db) =>
  db
    .updateTable('points_lots')
    .set({ remaining: p('remaining') })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id')),
);
const netForIssuance = defineQuery((db) =>
  db
    .selectFrom('points_ledger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), sql<number>`0`).as('net'))
    .where('tenant_id', '=', p('tenant_id'))
    .where('customer_id', '=', p('customer_id'))
    .where('issuance_id', '=', p('issuance_id')),
);
const dueLots = defineQuery((db) =>
  db
    .selectFrom('points_lots')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('remaining', '>', 0)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', p('now'))
    .orderBy('expires_at', 'asc')
    .orderBy('earned_at', 'asc')
    .orderBy('id', 'asc')
    .limit(p('limit')),
);

export class SqlitePointsRepository implements PointsRepository {
  constructor(private readonly s: Scope) {}

  async insertLot(lot: PointsLot): Promise<void> {
    const row = this.s.own(pointsLotToRow(lot), 'points lot');
    this.s.unique('points lot', row, () => this.s.r.run(insertDef('points_lots', row), row));
  }

  /**
   * Reads the spendable lots in spending order and takes from each in turn. The transaction is the
   * only writer (see the README), so the read and the writes cannot interleave with another's.
   * Nothing is written when the lots hold less than `amount`.
   */
  async consumeLots(customerId: string, amount: number): Promise<Array<{ lot_id: string; amount: number }>> {
    const lots = this.s.r.all<PointsLotsTable>(spendableLots, {
      tenant_id: this.s.tenantId,
      customer_id: customerId,
    });
    const taken: Array<{ lot_id: string; amount: number }> = [];
    let left = amount;
    for (const lot of lots) {
      if (left <= 0) break;
      const take = Math.min(lot.remaining, left);
      taken.push({ lot_id: lot.id, amount: take });
      left -= take;
    }
    if (left > 0) {
      throw new LaasError(
        'INTERNAL_ERROR',
        `Customer ${customerId}: cannot take ${amount} points from lots that hold ${amount - left}`,
        { customer_id: customerId, amount, held: amount - left },
      );
    }
    for (const t of taken) {
      const lot = lots.find((l) => l.id === t.lot_id)!;
      this.s.r.run(setRemaining, {
        tenant_id: this.s.tenantId,
        id: lot.id,
        remaining: lot.remaining - t.amount,
      });
    }
    return taken;
  }

  async listDueLots(now: Timestamp, limit: number): Promise<PointsLot[]> {
    return this.s.r
      .all<PointsLotsTable>(dueLots, { tenant_id: this.s.tenantId, now: toTs(now), limit })
      .map(pointsLotFromRow);
  }

  async expireLot(lotId: string): Promise<number> {
    const lot = getRow(this.s, 'points_lots', lotId);
    if (lot === undefined || lot.remaining === 0) return 0;
    this.s.r.run(setRemaining, { tenant_id: this.s.tenantId, id: lotId, remaining: 0 });
    return lot.remaining;
  }

  async listLots(customerId: string): Promise<PointsLot[]> {
    return this.s.r
      .all<PointsLotsTable>(allLots, { tenant_id: this.s.tenantId, customer_id: customerId })
      .map(pointsLotFromRow);
  }

  async appendLedger(entry: PointsLedgerEntry): Promise<void> {
    const row = this.s.own(pointsLedgerToRow(entry), 'points ledger entry');
    this.s.unique('points ledger entry', row, () => this.s.r.run(insertDef('points_ledger', row), row));
  }

  async listLedger(customerId: string, page: PageRequest): Promise<Page<PointsLedgerEntry>> {
    return listPage(this.s, 'points_ledger', page, pointsLedgerFromRow, (q) =>
      q.where('customer_id', '=', customerId),
    );
  }

  async netForIssuance(customerId: string, issuanceId: string): Promise<number> {
    const row = this.s.r.get<{ net: number }>(netForIssuance, {
      tenant_id: this.s.tenantId,
      customer_id: customerId,
      issuance_id: issuanceId,
    });
    return Number(row?.net ?? 0);
  }
}
