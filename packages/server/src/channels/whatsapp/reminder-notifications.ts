/**
 * Reminders and receipts on WhatsApp: `points.expiring` and `reward.expiring` (docs/reminders.md)
 * and a short receipt on `reward.redeemed`, queued in the worker's fan-out transaction like the
 * reward notifications (see notifications.ts), with the same rules: only to customers who wrote
 * to the number, active, with a phone; free text within 24 hours of their last message, else the
 * tenant's approved template with the message's gist as its `{{1}}` parameter; without a
 * template, recorded as `skipped` with the reason.
 */
import { type Issuance, newId, type OutboxEvent, type Tx } from '@laas/core';
import { issuanceParts, localDate, queuedMessage } from './conversation.js';
import { type OutboundPayload, templatePayload, textPayload } from './outbound.js';
import { textsOf } from './strings.js';

const WINDOW_MS = 24 * 3_600_000;

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
  const settings = await tx.whatsapp.getSettings();
  if (settings === null) return;
  const [tenant, customer] = [await tx.tenants.get(), await tx.customers.get(customerId)];
  if (tenant === null || customer === null) return;
  if (customer.phone === null || customer.status !== 'active') return;
  const phone = customer.phone.replace(/^\+/, '');
  const conversation = await tx.whatsapp.getConversation(phone);
  if (conversation === null || conversation.last_inbound_at === null) return;

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

  const ctx = { tenant, now: now.toISOString(), newId };
  const inWindow = now.getTime() - Date.parse(conversation.last_inbound_at) < WINDOW_MS;
  let payload: OutboundPayload;
  if (inWindow) payload = textPayload(phone, text);
  else if (settings.template_name !== null) {
    payload = templatePayload(
      phone,
      settings.template_name,
      settings.template_language ?? settings.language,
      [gist],
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
