import type { Timestamp } from '../time.js';

export const OUTBOX_EVENT_TYPES = [
  'customer.enrolled',
  'customer.erased',
  'reward.reserved',
  'reward.issued',
  'reward.redeemed',
  'reward.expired',
  'reward.cancelled',
  'budget.threshold',
  'budget.exhausted',
  'points.expired',
  'referral.attributed',
  'referral.qualified',
  'points.expiring',
  'reward.expiring',
  'customer.tier_changed',
] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

/**
 * A state change a merchant may want to hear about, written in the same transaction as the
 * change (invariant 8). The worker delivers it to webhook subscriptions.
 */
export interface OutboxEvent {
  id: string;
  tenant_id: string;
  type: OutboxEventType;
  data: Record<string, unknown>;
  created_at: Timestamp;
}
