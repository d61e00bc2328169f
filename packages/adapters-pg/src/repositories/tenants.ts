import { type Tenant, type TenantRepository, UniqueViolationError, type VersionedTenant } from '@laas/core';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { ownRow, type TxContext } from './context.js';

/** The transaction's tenant row. */
export function tenantQuery(ctx: TxContext) {
  return ctx.db.selectFrom('tenants').selectAll().where('id', '=', ctx.tenantId);
}

export function toVersionedTenant(row: m.TenantRow): VersionedTenant {
  return { tenant: m.toTenant(row), configVersion: m.int(row.config_version) };
}

export function tenantRepository(ctx: TxContext): TenantRepository {
  return {
    async insert(tenant: Tenant) {
      ownRow(ctx, tenant.id, 'tenant');
      const rows = await translated(() =>
        ctx.db
          .insertInto('tenants')
          .values(m.fromTenant(tenant))
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) throw new UniqueViolationError('tenant', 'id', tenant.id);
    },
    async get() {
      const row = await tenantQuery(ctx).executeTakeFirst();
      return row ? m.toTenant(row) : null;
    },
    async getVersioned() {
      const row = await tenantQuery(ctx).executeTakeFirst();
      return row ? toVersionedTenant(row) : null;
    },
    async update(tenant: Tenant) {
      // Another tenant's row is simply not found (as with every update below).
      if (tenant.id !== ctx.tenantId) return;
      const { id: _id, created_at: _created, ...values } = m.fromTenant(tenant);
      await ctx.db.updateTable('tenants').set(values).where('id', '=', ctx.tenantId).execute();
    },
  };
}
