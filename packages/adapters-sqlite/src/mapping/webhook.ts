import type { WebhookSubscription } from '@laas/core';
import type { WebhookSubscriptionsTable } from '../schema.js';
import { fromBool, fromJson, orNull, toBool, toJson, toTs } from './helpers.js';

export function webhookToRow(w: WebhookSubscription): WebhookSubscriptionsTable {
  return {
    tenant_id: w.tenant_id,
    id: w.id,
    url: w.url,
    events: toJson(w.events ?? []),
    secret: w.secret,
    active: toBool(w.active),
    disabled_reason: orNull(w.disabled_reason),
    created_at: toTs(w.created_at),
    updated_at: toTs(w.updated_at),
  };
}

export function webhookFromRow(r: WebhookSubscriptionsTable): WebhookSubscription {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    url: r.url,
    events: fromJson<string[]>(r.events),
    secret: r.secret,
    active: fromBool(r.active),
    disabled_reason: r.disabled_reason,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
