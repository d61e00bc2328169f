/**
 * Meta's calls to `/public/wa/webhook`: the verification handshake (GET) and notifications
 * (POST). A notification's signature is checked on the raw bytes before anything parses them;
 * a validly signed one is answered 200 whatever happens to its messages (a message that could
 * not be handled is recorded as `failed`, answered with an apology and logged), because Meta
 * would otherwise redeliver it for days.
 */
import type { KeyObject } from 'node:crypto';
import {
  type Engine,
  newId,
  type Store,
  type Tenant,
  type WhatsAppMessage,
  type WhatsAppSettings,
} from '@laas/core';
import type { Logger } from 'pino';
import { maskPhones } from '../../logging.js';
import { apology, converse } from './conversation.js';
import { type InboundMessage, type MessagesChange, phoneNumberIdsIn, readPayload } from './payload.js';
import { openSecret } from './settings.js';
import { looksSigned, verifySignature } from './signature.js';

/** What processing needs. */
export interface WebhookContext {
  readonly engine: Engine;
  readonly store: Store;
  readonly secretKey: KeyObject | undefined;
  readonly clock: () => Date;
  readonly logger?: Logger | undefined;
  readonly observe?: ((direction: 'in' | 'out', status: string) => void) | undefined;
}

/**
 * The handshake: the challenge when `hub.mode` is `subscribe` and the verify token is one a
 * tenant configured; null (answer 403) otherwise.
 */
export async function verifyHandshake(
  store: Store,
  query: { mode?: string | undefined; token?: string | undefined; challenge?: string | undefined },
): Promise<string | null> {
  if (query.mode !== 'subscribe' || !query.token || query.challenge === undefined) return null;
  if (query.challenge.length > 512) return null;
  const settings = await store.platform.findWhatsAppByVerifyToken(query.token);
  return settings === null ? null : query.challenge;
}

export type NotificationResult =
  | { verified: false; reason: string }
  | {
      verified: true;
      /** Tenants with replies queued: send them now. */
      tenantsToSend: string[];
      handled: number;
      duplicates: number;
      failed: number;
    };

/**
 * The tenants whose app secret signed `raw`: the receiving numbers named in the body are looked
 * up (without parsing it), and the signature is checked with each one's app secret.
 */
async function signedBy(
  ctx: WebhookContext,
  raw: Uint8Array,
  rawText: string,
  signature: string | undefined,
): Promise<Map<string, WhatsAppSettings> | string> {
  if (!looksSigned(signature)) return 'missing or malformed X-Hub-Signature-256';
  const verified = new Map<string, WhatsAppSettings>();
  const ids = phoneNumberIdsIn(rawText);
  if (ids.length === 0) return 'no phone_number_id in the notification';
  for (const id of ids) {
    const settings = await ctx.store.platform.findWhatsAppByPhoneNumberId(id);
    if (settings === null) continue;
    if (ctx.secretKey === undefined)
      throw new Error('LAAS_SECRET_KEY is not set: the app secret cannot be read');
    const appSecret = openSecret(ctx.secretKey, settings, 'app_secret');
    if (verifySignature(raw, signature, appSecret)) verified.set(id, settings);
  }
  return verified.size > 0 ? verified : 'the signature does not match the app secret of any receiving number';
}

function inboundRow(tenantId: string, message: InboundMessage, now: string, type?: string): WhatsAppMessage {
  return {
    id: newId(),
    tenant_id: tenantId,
    direction: 'in',
    wa_message_id: message.waMessageId,
    phone: message.phone,
    kind: message.via === 'text' ? 'text' : 'interactive',
    body: type === undefined ? { text: message.text, via: message.via } : { type, ignored: true },
    status: 'received',
    error: null,
    attempts: 0,
    next_attempt_at: null,
    locked_until: null,
    created_at: now,
    updated_at: now,
  };
}

type Outcome = 'handled' | 'duplicate' | 'failed';

/** One message, in one transaction: dedupe, the conversation (engine calls join), the reply. */
async function handleMessage(
  ctx: WebhookContext,
  settings: WhatsAppSettings,
  message: InboundMessage,
  ignoredType: string | undefined,
): Promise<Outcome> {
  const tenantId = settings.tenant_id;
  try {
    return await ctx.engine.transaction(tenantId, async (tx): Promise<Outcome> => {
      const now = ctx.clock().toISOString();
      if (!(await tx.whatsapp.recordInbound(inboundRow(tenantId, message, now, ignoredType))))
        return 'duplicate';
      const tenant = (await tx.tenants.get()) as Tenant;
      const current = (await tx.whatsapp.getSettings()) ?? settings;
      if (ignoredType !== undefined) {
        // Not answered (a sticker, a reaction); it still opens the 24-hour window.
        const conversation = await tx.whatsapp.getConversation(message.phone);
        await tx.whatsapp.putConversation({
          tenant_id: tenantId,
          phone: message.phone,
          pending: conversation?.pending ?? null,
          last_inbound_at: now,
          updated_at: now,
        });
        return 'handled';
      }
      await converse({ engine: ctx.engine, tx, tenant, settings: current, now, newId }, message);
      return 'handled';
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.logger?.error(
      { tenant: tenantId, wa_message_id: message.waMessageId, err: { message: maskPhones(reason) } },
      'whatsapp message not handled',
    );
    // Record it as failed (Meta must not redeliver it forever) and apologise, in a new transaction.
    return ctx.engine.transaction(tenantId, async (tx): Promise<Outcome> => {
      const now = ctx.clock().toISOString();
      const row = {
        ...inboundRow(tenantId, message, now, ignoredType),
        status: 'failed' as const,
        error: reason.slice(0, 500),
      };
      if (!(await tx.whatsapp.recordInbound(row))) return 'duplicate';
      const tenant = (await tx.tenants.get()) as Tenant;
      if (ignoredType === undefined) {
        await tx.whatsapp.insertOutbound(apology({ tenant, now, newId, settings }, message.phone));
      }
      return 'failed';
    });
  }
}

/** The receipts of one change, each applied forward-only. */
async function applyReceipts(ctx: WebhookContext, tenantId: string, change: MessagesChange): Promise<void> {
  if (change.statuses.length === 0) return;
  await ctx.store.transaction(tenantId, async (tx) => {
    for (const s of change.statuses) {
      const at = s.at ?? ctx.clock().toISOString();
      const applied = await tx.whatsapp.applyStatus(s.waMessageId, s.status, at, s.error);
      if (applied?.status === s.status) ctx.observe?.('out', s.status);
    }
  });
}

/**
 * A notification POST: verifies, then handles every change of every verified receiving number.
 * Throws only when the store is unreachable (then 500, and Meta retries).
 */
export async function receiveNotification(
  ctx: WebhookContext,
  raw: Uint8Array,
  signature: string | undefined,
): Promise<NotificationResult> {
  const rawText = Buffer.from(raw).toString('utf8');
  const signers = await signedBy(ctx, raw, rawText, signature);
  if (typeof signers === 'string') return { verified: false, reason: signers };

  const result = {
    verified: true as const,
    tenantsToSend: [] as string[],
    handled: 0,
    duplicates: 0,
    failed: 0,
  };
  let json: unknown;
  try {
    json = JSON.parse(rawText);
  } catch {
    ctx.logger?.warn('whatsapp notification: signed, but not JSON; ignored');
    return result;
  }
  const changes = readPayload(json);
  if (changes === null) {
    ctx.logger?.warn('whatsapp notification: signed, but not a WhatsApp payload; ignored');
    return result;
  }
  const toSend = new Set<string>();
  for (const change of changes) {
    const settings = signers.get(change.phoneNumberId);
    if (settings === undefined) {
      // Another number, not signed with its own app's secret: not trusted, not processed.
      ctx.logger?.warn(
        { phone_number_id: change.phoneNumberId },
        'whatsapp change for an unverified number skipped',
      );
      continue;
    }
    await applyReceipts(ctx, settings.tenant_id, change);
    const items: Array<[InboundMessage, string | undefined]> = [
      ...change.messages.map((m): [InboundMessage, undefined] => [m, undefined]),
      ...change.ignored.map((m): [InboundMessage, string] => [
        {
          waMessageId: m.waMessageId,
          phone: m.phone,
          text: '',
          via: 'text',
          profileName: null,
          sentAt: null,
        },
        m.type,
      ]),
    ];
    for (const [message, ignoredType] of items) {
      const outcome = await handleMessage(ctx, settings, message, ignoredType);
      ctx.observe?.(
        'in',
        outcome === 'duplicate' ? 'duplicate' : outcome === 'failed' ? 'failed' : 'received',
      );
      if (outcome === 'duplicate') result.duplicates++;
      else {
        if (outcome === 'failed') result.failed++;
        else result.handled++;
        if (ignoredType === undefined) toSend.add(settings.tenant_id);
      }
    }
  }
  result.tenantsToSend = [...toSend];
  return result;
}
