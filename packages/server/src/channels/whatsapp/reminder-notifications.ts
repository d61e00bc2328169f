/**
 * Reminders and receipts on WhatsApp: `points.expiring` and `reward.expiring` (docs/reminders.md)
 * and a short receipt on `reward.redeemed`, queued in the worker's fan-out transaction like the
 * reward notifications (see notifications.ts), with the same rules: only to customers who wrote
 * to the number, active, with a phone; free text within 24 hours of their last message, else the
 * tenant's approved template with the message's gist as its `{{1}}` parameter; without a
 * template, recorded as `skipped` with the reason.
 */
import type { Issuance, OutboxEvent, Tx } from '@laas/core';
import { issuanceParts, localDate } from './conversation.js';
import { queueNotification, recipientOf } from './notify.js';
import { textsOf } from './strings.js';

/** The outbox events this module answers. */
export const REMINDER_EVENT_TYPES: ReadonlySet<string> = new Set([
  'points.expiring',
  'reward.expiring',
  'reward.redeemed',
]);

/** Queues (or records as skipped) the message of one reminder or receipt event; ignores others. */
export async function notifyReminderOrReceipt(tx: Tx, event: OutboxEvent, now: Date): Promise<void> {
  if (!REMINDER_EVENT_TYPES.has(event.type)) return;
  const data = event.data as {
    issuance?: Issuance;
    customer_id?: string;
    points?: number;
    expires_at?: string;
  };
  const customerId = data.issuance?.customer_id ?? data.customer_id;
  if (typeof customerId !== 'string') return;
  const to = await recipientOf(tx, customerId);
  if (to === null) return;
  const { settings, tenant } = to;
  const t = textsOf(settings.strings);
  let text: string;
  let gist: string;
  if (event.type === 'points.expiring') {
    const date = localDate(data.expires_at as string, tenant, settings.language);
    text = t('notify_points_expiring', { shop: tenant.name, points: data.points ?? 0, date });
    gist = `${data.points ?? 0} points expiring ${date}`;
  } else {
    const issuance = data.issuance as Issuance;
    const reward = await tx.rewards.get(issuance.reward_id);
    if (reward === null || reward.type === 'points') return;
    const parts = issuanceParts(t, issuance, tenant, settings.language);
    if (event.type === 'reward.expiring') {
      text = t('notify_reward_expiring', { shop: tenant.name, reward: reward.name, ...parts });
      gist = `${reward.name} expiring`;
    } else {
      const date = localDate(issuance.redeemed_at ?? now.toISOString(), tenant, settings.language);
      text = t('receipt', { shop: tenant.name, reward: reward.name, date, ...parts });
      gist = `${reward.name} used`;
    }
  }

  await queueNotification(tx, to, text, gist, now);
}
