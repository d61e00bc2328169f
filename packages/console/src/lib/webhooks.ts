import type { WebhookDeliveryWithAttempts } from './types.js';

/** The outbox event types a subscription may choose (the core's OUTBOX_EVENT_TYPES). */
export const WEBHOOK_EVENT_TYPES = [
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

/** "delivered (HTTP 200) after 1 attempt", "failed: connection refused after 8 attempts". */
export function deliverySummary(
  d: Pick<WebhookDeliveryWithAttempts, 'status' | 'attempts' | 'last_status' | 'last_error'>,
): string {
  const attempts = `${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'}`;
  const answer = d.last_status === null ? '' : ` (HTTP ${d.last_status})`;
  if (d.status === 'delivered') return `delivered${answer} after ${attempts}`;
  if (d.status === 'failed')
    return `failed${answer}${d.last_error ? `: ${d.last_error}` : ''} after ${attempts}`;
  if (d.attempts === 0) return 'pending: not sent yet';
  return `pending: retrying${answer}${d.last_error ? `: ${d.last_error}` : ''} after ${attempts}`;
}
