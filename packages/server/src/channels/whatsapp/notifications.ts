/**
 * Notifications to customers on WhatsApp, queued in the worker's fan-out transaction (so each is
 * queued exactly once, atomically with its outbox event being marked dispatched): a reward issued
 * (here), reminders before expiry and redemption receipts (reminder-notifications.ts).
 *
 * WhatsApp only allows free text within 24 hours of the customer's last message; outside it
 * the tenant's approved template is used (the message's gist, e.g. the reward's name, as its body
 * parameter `{{1}}`), and without one the notification is recorded as `skipped` with the reason.
 * Customers who never wrote to the number have not opted in to WhatsApp: nothing is sent or
 * recorded for them.
 */
import type { Issuance, OutboxEvent, Tx } from '@laas/core';
import { issuanceParts } from './conversation.js';
import { queueNotification, recipientOf } from './notify.js';
import { notifyReminderOrReceipt } from './reminder-notifications.js';
import { textsOf } from './strings.js';

/** Queues (or records as skipped) the notification of one outbox event; ignores other events. */
export async function notifyOutboxEvent(tx: Tx, event: OutboxEvent, now: Date): Promise<void> {
  if (event.type !== 'reward.issued') return notifyReminderOrReceipt(tx, event, now);
  const issuance = (event.data as { issuance?: Issuance }).issuance;
  if (issuance === undefined || typeof issuance.customer_id !== 'string') return;
  const to = await recipientOf(tx, issuance.customer_id);
  if (to === null) return;
  const reward = await tx.rewards.get(issuance.reward_id);
  if (reward === null) return;
  const t = textsOf(to.settings.strings);
  const text =
    reward.type === 'points'
      ? t('notify_points', { shop: to.tenant.name, points: issuance.value })
      : t('notify_reward', {
          shop: to.tenant.name,
          reward: reward.name,
          ...issuanceParts(t, issuance, to.tenant, to.settings.language),
        });
  const gist = reward.type === 'points' ? `${issuance.value} points` : reward.name;
  await queueNotification(tx, to, text, gist, now);
}
