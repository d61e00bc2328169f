import type { ReminderKind, ReminderRepository } from '@laas/core';
import { sql } from 'kysely';
import * as m from '../mapping.js';
import type { TxContext } from './context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The PostgreSQL {@link ReminderRepository}. Listing takes no locks (two workers may list the same
 * rows); `markReminded` is the guard: an `INSERT ... ON CONFLICT DO NOTHING RETURNING` on the
 * marker's primary key, which under concurrency waits for the other inserter and then inserts
 * nothing, so exactly one transaction gets `true` and writes the reminder.
 */
export function reminderRepository(ctx: TxContext): ReminderRepository {
  const reminders = sql.table(`${ctx.schema}.reminders`);
  return {
    async listLotsToRemind(now, until, limit) {
      const { rows } = await sql<m.PointsLotRow>`
        SELECT l.* FROM ${sql.table(`${ctx.schema}.points_lots`)} l
        WHERE l.tenant_id = ${ctx.tenantId}::uuid AND l.remaining > 0 AND l.expires_at IS NOT NULL
          AND l.expires_at > ${now}::timestamptz AND l.expires_at <= ${until}::timestamptz
          AND NOT EXISTS (SELECT 1 FROM ${reminders} r
            WHERE r.tenant_id = l.tenant_id AND r.kind = 'lot' AND r.subject_id = l.id)
        ORDER BY l.expires_at, l.id
        LIMIT ${Math.max(0, Math.trunc(limit))}`.execute(ctx.db);
      return rows.map(m.toPointsLot);
    },
    async listIssuancesToRemind(now, until, limit) {
      const { rows } = await sql<m.IssuanceRow>`
        SELECT i.* FROM ${sql.table(`${ctx.schema}.issuances`)} i
        WHERE i.tenant_id = ${ctx.tenantId}::uuid AND i.state = 'issued' AND i.expires_at IS NOT NULL
          AND i.expires_at > ${now}::timestamptz AND i.expires_at <= ${until}::timestamptz
          AND NOT EXISTS (SELECT 1 FROM ${reminders} r
            WHERE r.tenant_id = i.tenant_id AND r.kind = 'issuance' AND r.subject_id = i.id)
        ORDER BY i.expires_at, i.id
        LIMIT ${Math.max(0, Math.trunc(limit))}`.execute(ctx.db);
      return rows.map(m.toIssuance);
    },
    async markReminded(kind: ReminderKind, subjectId: string, at) {
      if (!UUID.test(subjectId)) return false;
      const { rows } = await sql<{ subject_id: string }>`
        INSERT INTO ${reminders} (tenant_id, kind, subject_id, reminded_at)
        VALUES (${ctx.tenantId}::uuid, ${kind}, ${subjectId}::uuid, ${at}::timestamptz)
        ON CONFLICT DO NOTHING
        RETURNING subject_id`.execute(ctx.db);
      return rows.length === 1;
    },
    async remindedAt(kind: ReminderKind, subjectId: string) {
      if (!UUID.test(subjectId)) return null;
      const { rows } = await sql<{ reminded_at: Date | string }>`
        SELECT reminded_at FROM ${reminders}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND kind = ${kind} AND subject_id = ${subjectId}::uuid`.execute(
        ctx.db,
      );
      const row = rows[0];
      return row === undefined ? null : new Date(row.reminded_at).toISOString();
    },
  };
}
