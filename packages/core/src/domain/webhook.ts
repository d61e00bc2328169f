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
  /** `whsec_...`, shown once at creation. */
  secret: string;
  active: boolean;
  disabled_reason: string | null;
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
