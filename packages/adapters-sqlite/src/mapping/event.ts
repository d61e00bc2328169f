import type { EventOutcome, LoyaltyEvent } from '@laas/core';
import type { EventsTable } from '../schema.js';
import { fromJson, toJson, toTs } from './helpers.js';

export function eventToRow(e: LoyaltyEvent): EventsTable {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    customer_id: e.customer_id,
    type: e.type,
    occurred_at: toTs(e.occurred_at),
    data: toJson(e.data ?? {}),
    idempotency_key: e.idempotency_key,
    payload_hash: e.payload_hash,
    outcome: e.outcome === null || e.outcome === undefined ? null : toJson(e.outcome),
    created_at: toTs(e.created_at),
  };
}

export function eventFromRow(r: EventsTable): LoyaltyEvent {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    type: r.type,
    occurred_at: r.occurred_at,
    data: fromJson<Record<string, unknown>>(r.data),
    idempotency_key: r.idempotency_key,
    payload_hash: r.payload_hash,
    outcome: r.outcome === null ? null : fromJson<EventOutcome>(r.outcome),
    created_at: r.created_at,
  };
}
