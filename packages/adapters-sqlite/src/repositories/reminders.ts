import type { Issuance, PointsLot, ReminderKind, ReminderRepository, Timestamp } from '@laas/core';
import { toTs } from '../mapping/helpers.js';
import { issuanceFromRow } from '../mapping/issuance.js';
import { pointsLotFromRow } from '../mapping/points.js';
import { defineSql } from '../query.js';
import type { IssuancesTable, PointsLotsTable } from '../schema.js';
import type { Scope } from './scope.js';

const lotsToRemind = defineSql(
  `SELECT l.* FROM points_lots l
   WHERE l.tenant_id = @tenant_id AND l.remaining > 0 AND l.expires_at IS NOT NULL
     AND l.expires_at > @now AND l.expires_at <= @until
     AND NOT EXISTS (SELECT 1 FROM reminders r
       WHERE r.tenant_id = l.tenant_id AND r.kind = 'lot' AND r.subject_id = l.id)
   ORDER BY l.expires_at, l.id LIMIT @limit`,
);
const issuancesToRemind = defineSql(
  `SELECT i.* FROM issuances i
   WHERE i.tenant_id = @tenant_id AND i.state = 'issued' AND i.expires_at IS NOT NULL
     AND i.expires_at > @now AND i.expires_at <= @until
     AND NOT EXISTS (SELECT 1 FROM reminders r
       WHERE r.tenant_id = i.tenant_id AND r.kind = 'issuance' AND r.subject_id = i.id)
   ORDER BY i.expires_at, i.id LIMIT @limit`,
);
const mark = defineSql(
  `INSERT OR IGNORE INTO reminders (tenant_id, kind, subject_id, reminded_at)
   VALUES (@tenant_id, @kind, @subject_id, @at)`,
);
const remindedAt = defineSql(
  'SELECT reminded_at FROM reminders WHERE tenant_id = @tenant_id AND kind = @kind AND subject_id = @subject_id',
);

/**
 * The SQLite {@link ReminderRepository}. Writes are serialised (`BEGIN IMMEDIATE`), so the
 * `INSERT OR IGNORE` on the marker's primary key is exact.
 */
export class SqliteReminderRepository implements ReminderRepository {
  constructor(private readonly s: Scope) {}

  async listLotsToRemind(now: Timestamp, until: Timestamp, limit: number): Promise<PointsLot[]> {
    return this.s.r
      .all<PointsLotsTable>(lotsToRemind, {
        tenant_id: this.s.tenantId,
        now: toTs(now),
        until: toTs(until),
        limit,
      })
      .map(pointsLotFromRow);
  }

  async listIssuancesToRemind(now: Timestamp, until: Timestamp, limit: number): Promise<Issuance[]> {
    return this.s.r
      .all<IssuancesTable>(issuancesToRemind, {
        tenant_id: this.s.tenantId,
        now: toTs(now),
        until: toTs(until),
        limit,
      })
      .map(issuanceFromRow);
  }

  async markReminded(kind: ReminderKind, subjectId: string, at: Timestamp): Promise<boolean> {
    return this.s.r.run(mark, { tenant_id: this.s.tenantId, kind, subject_id: subjectId, at: toTs(at) }) > 0;
  }

  async remindedAt(kind: ReminderKind, subjectId: string): Promise<Timestamp | null> {
    const row = this.s.r.get<{ reminded_at: string }>(remindedAt, {
      tenant_id: this.s.tenantId,
      kind,
      subject_id: subjectId,
    });
    return row?.reminded_at ?? null;
  }
}
