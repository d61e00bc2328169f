import type { OutboxEvent, OutboxEventType } from '@laas/core';
import type { OutboxTable } from '../schema.js';
import { fromJson, toJson, toTs } from './helpers.js';

export function outboxToRow(o: OutboxEvent): OutboxTable {
  return {
    tenant_id: o.tenant_id,
    id: o.id,
    type: o.type,
    data: toJson(o.data ?? {}),
    created_at: toTs(o.created_at),
  };
}

export function outboxFromRow(r: OutboxTable): OutboxEvent {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    type: r.type as OutboxEventType,
    data: fromJson<Record<string, unknown>>(r.data),
    created_at: r.created_at,
  };
}
