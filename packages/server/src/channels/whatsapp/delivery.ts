/**
 * Sends a tenant's queued outbound messages: claims them with a lease (so the server's
 * right-after-commit send and any number of workers never send one twice), sends each through
 * the Graph API outside any transaction, and records the outcome in a short transaction.
 *
 * Rate limits (error 130429) get a couple of quick in-process retries; after them, and after
 * network errors and 5xx answers, the message stays `queued` with a later `next_attempt_at` for
 * the worker, until the schedule is spent (then `failed`). Any other refusal is `failed` at once,
 * with Graph's message recorded.
 */
import type { KeyObject } from 'node:crypto';
import { nextRetryDelay, type Store, type WhatsAppMessage, type WhatsAppSettings } from '@laas/core';
import type { Logger } from 'pino';
import type { ResolvedWhatsAppClientConfig } from '../../config.js';
import { maskPhones } from '../../logging.js';
import { type SendOutcome, sendToGraph } from './graph-client.js';
import type { OutboundPayload } from './outbound.js';
import { openSecret } from './settings.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Waits after the n-th failed HTTP attempt of one message (quick retries count too); after the
 * last, the message is `failed`. Twelve attempts over about four hours: a notification later
 * than that is stale.
 */
export const WHATSAPP_RETRY_SCHEDULE: readonly number[] = Object.freeze([
  1 * SECOND,
  2 * SECOND,
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  1 * MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
]);

/** What sending needs. */
export interface DeliveryContext {
  readonly store: Store;
  readonly client: ResolvedWhatsAppClientConfig;
  readonly secretKey: KeyObject | undefined;
  readonly clock: () => Date;
  readonly logger?: Logger | undefined;
  /** Told the status every outbound message ends an attempt in (metrics; `source` is `send`). */
  readonly observe?: ((direction: 'in' | 'out', status: string, source?: 'send') => void) | undefined;
  /** How long a claimed message stays this sender's; default 2 × timeout + 30 s. */
  readonly leaseMs?: number;
  /** Messages claimed per round; default 50. */
  readonly batchSize?: number;
}

export interface DrainResult {
  sent: number;
  /** Left queued for a later attempt. */
  retried: number;
  failed: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends with the quick in-process retries on 130429; returns the last outcome and the attempts made. */
async function sendWithQuickRetries(
  ctx: DeliveryContext,
  settings: WhatsAppSettings,
  token: string,
  payload: OutboundPayload,
): Promise<{ outcome: SendOutcome; attempts: number }> {
  let attempts = 0;
  for (;;) {
    const outcome = await sendToGraph(ctx.client, settings.phone_number_id, token, payload);
    attempts++;
    const wait = ctx.client.quickRetryDelaysMs[attempts - 1];
    if (outcome.kind !== 'rate_limited' || wait === undefined) return { outcome, attempts };
    await sleep(wait);
  }
}

/** The row after an attempt that ended in `outcome`. */
function afterAttempt(
  message: WhatsAppMessage,
  outcome: SendOutcome,
  attempts: number,
  now: Date,
): WhatsAppMessage {
  const at = now.toISOString();
  const total = message.attempts + attempts;
  const base = { ...message, attempts: total, locked_until: null, updated_at: at };
  if (outcome.kind === 'sent') {
    return {
      ...base,
      status: 'sent',
      wa_message_id: outcome.waMessageId,
      error: null,
      next_attempt_at: null,
    };
  }
  if (outcome.kind === 'refused')
    return { ...base, status: 'failed', error: outcome.error, next_attempt_at: null };
  const delay = nextRetryDelay(total, {
    schedule: WHATSAPP_RETRY_SCHEDULE,
    jitter: 0.1,
    random: Math.random,
  });
  if (delay === null) {
    return {
      ...base,
      status: 'failed',
      error: `gave up after ${total} attempts: ${outcome.error}`,
      next_attempt_at: null,
    };
  }
  return {
    ...base,
    status: 'queued',
    error: outcome.error,
    next_attempt_at: new Date(now.getTime() + delay).toISOString(),
  };
}

async function record(ctx: DeliveryContext, tenantId: string, message: WhatsAppMessage): Promise<void> {
  await ctx.store.transaction(tenantId, (tx) => tx.whatsapp.updateOutbound(message));
  ctx.observe?.('out', message.status, 'send');
}

/** One phone's messages, in order (a customer reads replies in the order they were written). */
async function sendPhone(
  ctx: DeliveryContext,
  tenantId: string,
  settings: WhatsAppSettings,
  token: string,
  messages: readonly WhatsAppMessage[],
  result: DrainResult,
): Promise<void> {
  for (const message of messages) {
    const { outcome, attempts } = await sendWithQuickRetries(
      ctx,
      settings,
      token,
      message.body as OutboundPayload,
    );
    const after = afterAttempt(message, outcome, attempts, ctx.clock());
    await record(ctx, tenantId, after);
    if (after.status === 'sent') result.sent++;
    else if (after.status === 'queued') result.retried++;
    else result.failed++;
    if (outcome.kind !== 'sent') {
      ctx.logger?.warn(
        { tenant: tenantId, message: message.id, outcome: outcome.kind, error: maskPhones(outcome.error) },
        'whatsapp send failed',
      );
    }
  }
}

/**
 * Sends every due `queued` message of the tenant (batch after batch) and returns what happened.
 * Throws only when the store does.
 */
export async function drainQueued(ctx: DeliveryContext, tenantId: string): Promise<DrainResult> {
  const result: DrainResult = { sent: 0, retried: 0, failed: 0 };
  const batchSize = ctx.batchSize ?? 50;
  const leaseMs = ctx.leaseMs ?? 2 * ctx.client.timeoutMs + 30_000;
  for (;;) {
    const now = ctx.clock();
    const { settings, claimed } = await ctx.store.transaction(tenantId, async (tx) => ({
      settings: await tx.whatsapp.getSettings(),
      claimed: await tx.whatsapp.claimQueued(now.toISOString(), batchSize, leaseMs),
    }));
    if (claimed.length === 0) return result;
    let token: string | null = null;
    let problem = 'WhatsApp is not configured for this tenant any more';
    if (settings !== null) {
      try {
        if (ctx.secretKey === undefined) throw new Error('LAAS_SECRET_KEY is not set');
        token = openSecret(ctx.secretKey, settings, 'access_token');
      } catch (error) {
        problem = `the access token cannot be read: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (settings === null || token === null) {
      // Nothing can be sent now: wait (the key may come back with a restart), then give up.
      for (const message of claimed) {
        const after = afterAttempt(message, { kind: 'unavailable', error: problem }, 1, ctx.clock());
        await record(ctx, tenantId, after);
        if (after.status === 'failed') result.failed++;
        else result.retried++;
      }
      ctx.logger?.error(
        { tenant: tenantId, messages: claimed.length, problem },
        'whatsapp messages not sent',
      );
    } else {
      const byPhone = new Map<string, WhatsAppMessage[]>();
      for (const m of claimed) byPhone.set(m.phone, [...(byPhone.get(m.phone) ?? []), m]);
      const openSettings = settings;
      const openToken = token;
      await Promise.all(
        [...byPhone.values()].map((list) => sendPhone(ctx, tenantId, openSettings, openToken, list, result)),
      );
    }
    if (claimed.length < batchSize) return result;
  }
}
