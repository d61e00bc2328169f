import type { WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import type { Tx } from '../ports/store.js';
import type { Timestamp } from '../time.js';
import type { WorkerChannel } from './create-worker.js';

/** Every active subscription of the transaction's tenant. */
export async function activeSubscriptions(tx: Tx): Promise<WebhookSubscription[]> {
  const out: WebhookSubscription[] = [];
  let cursor: string | undefined;
  do {
    const page = await tx.webhooks.list({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
    for (const s of page.items) if (s.active) out.push(s);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

/**
 * Turns up to `limit` undispatched outbox events into one pending delivery per active subscription
 * that wants the event's type (`events` empty: every type), hands each to the channels'
 * `onOutboxEvent`, and marks them dispatched — all in the caller's transaction, so each event is
 * fanned out exactly once. Returns how many events it took.
 *
 * The body is built here, once: `{"type","tenant_id","data","timestamp"}` with the event's
 * creation time, so every retry sends the same bytes.
 */
export async function fanOutOutbox(
  tx: Tx,
  options: { now: Timestamp; limit: number; newId: () => string; channels?: readonly WorkerChannel[] },
): Promise<number> {
  const events = await tx.outbox.claimUndispatched(options.limit);
  if (events.length === 0) return 0;
  const subscriptions = await activeSubscriptions(tx);
  for (const event of events) {
    const payload = JSON.stringify({
      type: event.type,
      tenant_id: event.tenant_id,
      data: event.data,
      timestamp: event.created_at,
    });
    for (const subscription of subscriptions) {
      if (subscription.events.length > 0 && !subscription.events.includes(event.type)) continue;
      const delivery: WebhookDelivery = {
        id: options.newId(),
        tenant_id: tx.tenantId,
        subscription_id: subscription.id,
        outbox_id: event.id,
        event_type: event.type,
        payload,
        status: 'pending',
        attempts: 0,
        next_attempt_at: options.now,
        locked_until: null,
        last_status: null,
        last_error: null,
        created_at: options.now,
        updated_at: options.now,
      };
      await tx.deliveries.insert(delivery);
    }
    for (const channel of options.channels ?? []) await channel.onOutboxEvent?.(tx, event);
  }
  await tx.outbox.markDispatched(
    events.map((e) => e.id),
    options.now,
  );
  return events.length;
}
