import type { AuditEntry } from '../domain/audit.js';
import { decodeCursor, encodeCursor, pageLimit } from '../domain/common.js';
import { ForeignTenantRowError } from '../errors.js';
import type { AuditRepository } from '../ports/repositories.js';
import { UniqueViolationError } from '../ports/store.js';
import type { TenantData } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the audit repository needs of a MemoryStore transaction. */
export interface AuditCtx {
  readonly tenantId: string;
  readonly data: TenantData;
  readonly log: UndoLog;
  readonly copy: <T>(value: T) => T;
  /** Throws once the transaction has ended. */
  live(): void;
}

/**
 * The MemoryStore's {@link AuditRepository}: the tenant's rows in one map by id, every change
 * through the undo log (a rolled-back transaction leaves no row). Lists scan the tenant's rows:
 * the log is read by people, a page at a time, not on any hot path.
 */
export function auditRepository(ctx: AuditCtx): AuditRepository {
  const { data, log, tenantId } = ctx;
  const rows = data.audit;
  return {
    async append(entry) {
      ctx.live();
      if (entry.tenant_id !== tenantId)
        throw new ForeignTenantRowError('audit entry', entry.tenant_id, tenantId);
      if (rows.has(entry.id)) throw new UniqueViolationError('audit entry', 'id', entry.id);
      log.set(rows, entry.id, ctx.copy(entry));
    },
    async list(filter, page) {
      ctx.live();
      const limit = pageLimit(page);
      const after = decodeCursor(page.cursor);
      const from = filter.from === undefined ? undefined : Date.parse(filter.from);
      const to = filter.to === undefined ? undefined : Date.parse(filter.to);
      const matching: AuditEntry[] = [];
      for (const row of rows.values()) {
        if (after !== undefined && !(row.id < after)) continue;
        if (filter.actor !== undefined && row.actor.id !== filter.actor) continue;
        if (filter.entity_type !== undefined && row.entity_type !== filter.entity_type) continue;
        if (filter.entity_id !== undefined && row.entity_id !== filter.entity_id) continue;
        if (filter.action !== undefined && row.action !== filter.action) continue;
        const at = Date.parse(row.at);
        if (from !== undefined && at < from) continue;
        if (to !== undefined && at >= to) continue;
        matching.push(row);
      }
      matching.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      const more = matching.length > limit;
      const items = matching.slice(0, limit).map((row) => ctx.copy(row));
      const last = more ? items[limit - 1] : undefined;
      return { items, next_cursor: last === undefined ? null : encodeCursor(last.id) };
    },
    async purge(before) {
      ctx.live();
      const cutoff = Date.parse(before);
      let purged = 0;
      for (const row of [...rows.values()]) {
        if (Date.parse(row.at) < cutoff && log.delete(rows, row.id)) purged += 1;
      }
      return purged;
    },
  };
}
