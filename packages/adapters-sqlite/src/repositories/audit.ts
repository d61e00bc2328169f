import type { AuditEntry, AuditListFilter, AuditRepository, Page, PageRequest, Timestamp } from '@laas/core';
import { fromJson, toJson, toTs } from '../mapping/helpers.js';
import { defineQuery, p } from '../query.js';
import type { AuditLogTable } from '../schema.js';
import { insertDef, type LooseSelect, listPage, type Scope } from './scope.js';

const purge = defineQuery((db) =>
  db.deleteFrom('audit_log').where('tenant_id', '=', p('tenant_id')).where('at', '<', p('before')),
);

function toRow(entry: AuditEntry): AuditLogTable {
  return {
    tenant_id: entry.tenant_id,
    id: entry.id,
    at: toTs(entry.at),
    actor_kind: entry.actor.kind,
    actor_id: entry.actor.id,
    actor_role: entry.actor.role,
    method: entry.route.method,
    route: entry.route.path,
    action: entry.action,
    entity_type: entry.entity_type,
    entity_id: entry.entity_id,
    before_state: toJson(entry.before ?? null),
    after_state: toJson(entry.after ?? null),
    request_id: entry.request_id,
  };
}

function fromRow(row: AuditLogTable): AuditEntry {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    at: row.at,
    actor: { kind: row.actor_kind as AuditEntry['actor']['kind'], id: row.actor_id, role: row.actor_role },
    route: { method: row.method, path: row.route },
    action: row.action,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    before: fromJson(row.before_state),
    after: fromJson(row.after_state),
    request_id: row.request_id,
  };
}

/** The SQLite {@link AuditRepository}: rows of `audit_log`, before/after as JSON text. */
export class SqliteAuditRepository implements AuditRepository {
  constructor(private readonly s: Scope) {}

  async append(entry: AuditEntry): Promise<void> {
    const row = this.s.own(toRow(entry), 'audit entry');
    this.s.unique('audit entry', row, () => this.s.r.run(insertDef('audit_log', row), row));
  }

  async list(filter: AuditListFilter, page: PageRequest): Promise<Page<AuditEntry>> {
    return listPage(this.s, 'audit_log', page, fromRow, (query: LooseSelect) => {
      let q = query;
      if (filter.actor !== undefined) q = q.where('actor_id', '=', filter.actor);
      if (filter.entity_type !== undefined) q = q.where('entity_type', '=', filter.entity_type);
      if (filter.entity_id !== undefined) q = q.where('entity_id', '=', filter.entity_id);
      if (filter.action !== undefined) q = q.where('action', '=', filter.action);
      if (filter.from !== undefined) q = q.where('at', '>=', toTs(filter.from));
      if (filter.to !== undefined) q = q.where('at', '<', toTs(filter.to));
      return q;
    });
  }

  async purge(before: Timestamp): Promise<number> {
    return this.s.r.run(purge, { tenant_id: this.s.tenantId, before: toTs(before) });
  }
}
