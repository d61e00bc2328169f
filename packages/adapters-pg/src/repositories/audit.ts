import {
  type AuditEntry,
  type AuditRepository,
  decodeCursor,
  encodeCursor,
  ForeignTenantRowError,
  pageLimit,
  UniqueViolationError,
} from '@laas/core';
import { translated } from '../errors.js';
import type { TxContext } from './context.js';

function fromRow(row: {
  tenant_id: string;
  id: string;
  at: Date;
  actor_kind: string;
  actor_id: string | null;
  actor_role: string;
  method: string;
  route: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before_state: unknown;
  after_state: unknown;
  request_id: string | null;
}): AuditEntry {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    at: row.at.toISOString(),
    actor: { kind: row.actor_kind as AuditEntry['actor']['kind'], id: row.actor_id, role: row.actor_role },
    route: { method: row.method, path: row.route },
    action: row.action,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    before: row.before_state ?? null,
    after: row.after_state ?? null,
    request_id: row.request_id,
  };
}

/**
 * The PostgreSQL {@link AuditRepository}: rows of `audit_log` (RLS on `laas.tenant_id`, and every
 * query filters by `tenant_id` too). A taken id is refused without aborting the transaction
 * (`ON CONFLICT DO NOTHING`).
 */
export function auditRepository(ctx: TxContext): AuditRepository {
  return {
    async append(entry) {
      if (entry.tenant_id !== ctx.tenantId)
        throw new ForeignTenantRowError('audit entry', entry.tenant_id, ctx.tenantId);
      const rows = await translated(() =>
        ctx.db
          .insertInto('audit_log')
          .values({
            tenant_id: entry.tenant_id,
            id: entry.id,
            at: entry.at,
            actor_kind: entry.actor.kind,
            actor_id: entry.actor.id,
            actor_role: entry.actor.role,
            method: entry.route.method,
            route: entry.route.path,
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: entry.entity_id,
            before_state: JSON.stringify(entry.before ?? null),
            after_state: JSON.stringify(entry.after ?? null),
            request_id: entry.request_id,
          })
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) throw new UniqueViolationError('audit entry', 'id', entry.id);
    },
    async list(filter, page) {
      const limit = pageLimit(page);
      const after = decodeCursor(page.cursor);
      let query = ctx.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', ctx.tenantId);
      if (after !== undefined) query = query.where('id', '<', after);
      if (filter.actor !== undefined) query = query.where('actor_id', '=', filter.actor);
      if (filter.entity_type !== undefined) query = query.where('entity_type', '=', filter.entity_type);
      if (filter.entity_id !== undefined) query = query.where('entity_id', '=', filter.entity_id);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.from !== undefined) query = query.where('at', '>=', new Date(filter.from) as never);
      if (filter.to !== undefined) query = query.where('at', '<', new Date(filter.to) as never);
      const rows = await query
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(fromRow);
      const last = more ? items[limit - 1] : undefined;
      return { items, next_cursor: last === undefined ? null : encodeCursor(last.id) };
    },
    async purge(before) {
      const result = await ctx.db
        .deleteFrom('audit_log')
        .where('tenant_id', '=', ctx.tenantId)
        .where('at', '<', new Date(before) as never)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
