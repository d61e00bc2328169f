/**
 * Reward notifications: for each `reward.issued` outbox event of a tenant with WhatsApp, a
 * message to the customer's phone, queued in the worker's fan-out transaction (so it is queued
 * exactly once, atomically with the event being marked dispatched).
 *
 * WhatsApp only allows free text within 24 hours of the customer's last message; outside it
 * the tenant's approved template is used (the reward's name as its body parameter `{{1}}`),
 * and without one the notification is recorded as `skipped` with the reason. Customers who
 * never wrote to the number have not opted in to WhatsApp: nothing is sent or recorded for them.
 */
import { type Issuance, newId, type OutboxEvent, type Tx } from '@laas/core';
import { issuanceParts, queuedMessage } from './conversation.js';
import { type OutboundPayload, templatePayload, textPayload } from './outbound.js';
import { notifyReminderOrReceipt } from './reminder-notifications.js';
import { textsOf } from './strings.js';

export const WINDOW_MS = 24 * 3_600_000;

/** Queues (or records as skipped) the notification of one outbox event; ignores other events. */
export async function notifyOutboxEvent(tx: Tx, event: OutboxEvent, now: Date): Promise<void> {
  if (event.type !== 'reward.issued') return notifyReminderOrReceipt(tx, event, now);
  const issuance = (event.data as { issuance?: Issuance }).issuance;
  if (issuance === undefined || typeof issuance.customer_id !== 'string') return;
  const settings = await tx.whatsapp.getSettings();
  if (settings === null) return;
  const [tenant, customer, reward] = [
    await tx.tenants.get(),
    await tx.customers.get(issuance.customer_id),
    await tx.rewards.get(issuance.reward_id),
  ];
  if (tenant === null || customer === null || reward === null) return;
  if (customer.phone === null || customer.status !== 'active') return;
  const phone = customer.phone.replace(/^\+/, '');
  const conversation = await tx.whatsapp.getConversation(phone);
  if (conversation === null || conversation.last_inbound_at === null) return;

  const t = textsOf(settings.strings);
  const at = now.toISOString();
  const ctx = { tenant, now: at, newId };
  const text =
    reward.type === 'points'
      ? t('notify_points', { shop: tenant.name, points: issuance.value })
      : t('notify_reward', {
          shop: tenant.name,
          reward: reward.name,
          ...issuanceParts(t, issuance, tenant, settings.language),
        });
  const inWindow = now.getTime() - Date.parse(conversation.last_inbound_at) < WINDOW_MS;
  let payload: OutboundPayload;
  if (inWindow) payload = textPayload(phone, text);
  else if (settings.template_name !== null) {
    const name = reward.type === 'points' ? `${issuance.value} points` : reward.name;
    payload = templatePayload(
      phone,
      settings.template_name,
      settings.template_language ?? settings.language,
      [name],
    );
  } else {
    await tx.whatsapp.insertOutbound({
      ...queuedMessage(ctx, textPayload(phone, text), 'notification'),
      status: 'skipped',
      next_attempt_at: null,
      error:
        'outside the 24-hour window and no template is configured (set template_name to notify with an approved template)',
    });
    return;
  }
  await tx.whatsapp.insertOutbound(
    queuedMessage(ctx, payload, payload.type === 'template' ? 'template' : 'notification'),
  );
}
