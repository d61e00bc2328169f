import type { Tenant, TenantSettings } from '@laas/core';
import type { TenantsTable } from '../schema.js';
import { fromJson, toJson, toTs } from './helpers.js';

export function tenantToRow(t: Tenant): TenantsTable {
  return {
    tenant_id: t.id,
    name: t.name,
    timezone: t.timezone,
    settings: toJson(t.settings),
    created_at: toTs(t.created_at),
  };
}

export function tenantFromRow(r: TenantsTable): Tenant {
  return {
    id: r.tenant_id,
    name: r.name,
    timezone: r.timezone,
    settings: fromJson<TenantSettings>(r.settings),
    created_at: r.created_at,
  };
}
