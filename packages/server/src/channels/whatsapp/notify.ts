/**
 * Queuing one notification to a customer on WhatsApp, shared by reward notifications
 * (notifications.ts) and reminders and receipts (reminder-notifications.ts).
 */
import { newId, type Tenant, type Tx, type WhatsAppSettings } from '@laas/core';
import { queuedMessage } from './conversation.js';
import { type OutboundPayload, templatePayload, textPayload } from './outbound.js';

export const WINDOW_MS = 24 * 3_600_000;

/** Who a notification goes to: an active customer with a phone who wrote to the tenant's number. */
export interface Recipient {
  settings: WhatsAppSettings;
  tenant: Tenant;
  /** The phone as WhatsApp writes it (digits, no `+`). */
  phone: string;
  last_inbound_at: string;
}

/** The customer as a recipient, or null when nothing may be sent to them (see the module's doc). */
export async function recipientOf(tx: Tx, customerId: string): Promise<Recipient | null> {
  const settings = await tx.whatsapp.getSettings();
  if (settings === null) return null;
  const [tenant, customer] = [await tx.tenants.get(), await tx.customers.get(customerId)];
  if (tenant === null || customer === null) return null;
  if (customer.phone === null || customer.status !== 'active') return null;
  const phone = customer.phone.replace(/^\+/, '');
  const conversation = await tx.whatsapp.getConversation(phone);
  if (conversation === null || conversation.last_inbound_at === null) return null;
  return { settings, tenant, phone, last_inbound_at: conversation.last_inbound_at };
}

/**
 * Queues `text` inside the 24-hour window, else the tenant's template with `gist` as `{{1}}`, else
 * records the notification as skipped with the reason.
 */
export async function queueNotification(
  tx: Tx,
  to: Recipient,
  text: string,
  gist: string,
  now: Date,
): Promise<void> {
  const { settings, tenant, phone } = to;
  const ctx = { tenant, now: now.toISOString(), newId };
  const inWindow = now.getTime() - Date.parse(to.last_inbound_at) < WINDOW_MS;
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
