import type { Tenant, TenantRepository, VersionedTenant } from '@laas/core';
import { tenantFromRow, tenantToRow } from '../mapping/tenant.js';
import { defineQuery, markers, p } from '../query.js';
import type { TenantsTable } from '../schema.js';
import { insertDef, type Scope } from './scope.js';

const getTenant = defineQuery((db) =>
  db.selectFrom('tenants').selectAll().where('tenant_id', '=', p('tenant_id')),
);
const updateTenant = defineQuery((db) =>
  db
    .updateTable('tenants')
    .set(markers(['name', 'timezone', 'settings']))
    .where('tenant_id', '=', p('tenant_id')),
);

export class SqliteTenantRepository implements TenantRepository {
  constructor(private readonly s: Scope) {}

  async insert(tenant: Tenant): Promise<void> {
    const row = tenantToRow(tenant);
    this.s.own(row, 'tenant');
    this.s.unique('tenant', row, () => this.s.r.run(insertDef('tenants', row), row));
  }

  async get(): Promise<Tenant | null> {
    const row = this.s.r.get<TenantsTable>(getTenant, { tenant_id: this.s.tenantId });
    return row === undefined ? null : tenantFromRow(row);
  }

  async getVersioned(): Promise<VersionedTenant | null> {
    const row = this.s.r.get<TenantsTable>(getTenant, { tenant_id: this.s.tenantId });
    return row === undefined ? null : { tenant: tenantFromRow(row), configVersion: row.config_version ?? 0 };
  }

  async update(tenant: Tenant): Promise<void> {
    const row = tenantToRow(tenant);
    this.s.own(row, 'tenant');
    this.s.r.run(updateTenant, row);
  }
}
