import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription } from '@laas/core';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookSubscriptionsTable } from '../schema.js';
import { fromBool, fromJson, orNull, toBool, toJson, toTs, toTsOrNull } from './helpers.js';

export function webhookToRow(w: WebhookSubscription): WebhookSubscriptionsTable {
  return {
    tenant_id: w.tenant_id,
    id: w.id,
    url: w.url,
    events: toJson(w.events ?? []),
    secret: w.secret,
    previous_secret: orNull(w.previous_secret),
    previous_secret_expires_at: toTsOrNull(w.previous_secret_expires_at),
    active: toBool(w.active),
    disabled_reason: orNull(w.disabled_reason),
    failure_count: w.failure_count ?? 0,
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
    previous_secret: r.previous_secret,
    previous_secret_expires_at: r.previous_secret_expires_at,
    active: fromBool(r.active),
    disabled_reason: r.disabled_reason,
    failure_count: r.failure_count,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function deliveryToRow(d: WebhookDelivery): WebhookDeliveriesTable {
  return {
    tenant_id: d.tenant_id,
    id: d.id,
    subscription_id: d.subscription_id,
    outbox_id: d.outbox_id,
    event_type: d.event_type,
    payload: d.payload,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: toTsOrNull(d.next_attempt_at),
    locked_until: toTsOrNull(d.locked_until),
    last_status: orNull(d.last_status),
    last_error: orNull(d.last_error),
    created_at: toTs(d.created_at),
    updated_at: toTs(d.updated_at),
  };
}

export function deliveryFromRow(r: WebhookDeliveriesTable): WebhookDelivery {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    subscription_id: r.subscription_id,
    outbox_id: r.outbox_id,
    event_type: r.event_type,
    payload: r.payload,
    status: r.status as WebhookDeliveryStatus,
    attempts: r.attempts,
    next_attempt_at: r.next_attempt_at,
    locked_until: r.locked_until,
    last_status: r.last_status,
    last_error: r.last_error,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function attemptToRow(a: WebhookAttempt): WebhookAttemptsTable {
  return {
    tenant_id: a.tenant_id,
    id: a.id,
    delivery_id: a.delivery_id,
    at: toTs(a.at),
    status_code: orNull(a.status_code),
    duration_ms: a.duration_ms,
    response_excerpt: a.response_excerpt,
    error: orNull(a.error),
  };
}

export function attemptFromRow(r: WebhookAttemptsTable): WebhookAttempt {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    delivery_id: r.delivery_id,
    at: r.at,
    status_code: r.status_code,
    duration_ms: r.duration_ms,
    response_excerpt: r.response_excerpt,
    error: r.error,
  };
}
