import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { idSchema } from './common.js';
import { OUTBOX_EVENT_TYPES } from './outbox.js';

export interface WebhookSubscription {
  id: string;
  tenant_id: string;
  url: string;
  /** Outbox event types delivered; empty: all of them. */
  events: string[];
  /** `whsec_...`, shown once at creation (and once per rotation). */
  secret: string;
  /**
   * The secret before the last rotation, still signing deliveries (a second `v1,` entry) until
   * `previous_secret_expires_at`; null when there is none.
   */
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  active: boolean;
  /** Why the worker disabled the subscription (a 410, too many failed deliveries); null otherwise. */
  disabled_reason: string | null;
  /** Consecutive deliveries that gave up (status `failed`); a delivered one resets it to 0. */
  failure_count: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export const createWebhookSchema = z.strictObject({
  id: idSchema.optional(),
  url: z.url({ protocol: /^https?$/ }).max(2000),
  events: z.array(z.enum(OUTBOX_EVENT_TYPES)).default([]),
  active: z.boolean().default(true),
});
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

export const updateWebhookSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  events: z.array(z.enum(OUTBOX_EVENT_TYPES)).optional(),
  active: z.boolean().optional(),
});
export type UpdateWebhookInput = z.input<typeof updateWebhookSchema>;

/** `pending` until delivered, or `failed` once the retry schedule is spent (or the subscription went away). */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One outbox event (or test / replayed message) on its way to one subscription. `payload` is the
 * exact JSON body, stored once so every retry sends the same bytes; `message_id` is the
 * `webhook-id` header (the outbox event id), the same on every retry and replay.
 */
export interface WebhookDelivery {
  id: string;
  tenant_id: string;
  subscription_id: string;
  /** The `webhook-id`: the outbox event's id (a fresh id for a `webhook.test` message). */
  outbox_id: string;
  event_type: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** When the next attempt is due (pending); null once delivered or failed. */
  next_attempt_at: Timestamp | null;
  /** A worker's lease: nobody else sends the delivery before this instant. */
  locked_until: Timestamp | null;
  /** HTTP status of the last attempt (null: no answer). */
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttempt {
  id: string;
  tenant_id: string;
  delivery_id: string;
  at: Timestamp;
  /** Null when no HTTP answer came (timeout, refused connection). */
  status_code: number | null;
  duration_ms: number;
  /** The start of the response body, at most 1 KB. */
  response_excerpt: string;
  error: string | null;
}

/** A delivery with its attempts, oldest attempt first (the `GET .../deliveries` item). */
export interface WebhookDeliveryWithAttempts extends WebhookDelivery {
  attempt_log: WebhookAttempt[];
}
