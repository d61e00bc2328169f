import type { Customer, CustomerStatus } from '@laas/core';
import type { CustomersTable } from '../schema.js';
import { fromJson, orNull, toJson, toTs, toTsOrNull } from './helpers.js';

export function customerToRow(c: Customer): CustomersTable {
  return {
    tenant_id: c.tenant_id,
    id: c.id,
    phone: orNull(c.phone),
    external_ref: orNull(c.external_ref),
    name: orNull(c.name),
    birthday: orNull(c.birthday),
    attributes: toJson(c.attributes ?? {}),
    tags: toJson(c.tags ?? []),
    status: c.status,
    enrolled_at: toTs(c.enrolled_at),
    last_event_at: toTsOrNull(c.last_event_at),
    stats_counts: toJson(c.stats?.counts ?? {}),
    total_spend: c.stats?.total_spend ?? 0,
    points_balance: c.stats?.points_balance ?? 0,
  };
}

export function customerFromRow(r: CustomersTable): Customer {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    phone: r.phone,
    external_ref: r.external_ref,
    name: r.name,
    birthday: r.birthday,
    attributes: fromJson<Record<string, unknown>>(r.attributes),
    tags: fromJson<string[]>(r.tags),
    status: r.status as CustomerStatus,
    enrolled_at: r.enrolled_at,
    last_event_at: r.last_event_at,
    stats: {
      counts: fromJson<Record<string, number>>(r.stats_counts),
      total_spend: r.total_spend,
      points_balance: r.points_balance,
    },
  };
}
