/**
 * The shared WhatsApp number: one business number for many merchants. A phone picks a merchant
 * by its code (`JOIN KOFI`), and every later message is answered by the merchant's own bot
 * (`converse`, the code a tenant's own number runs) scoped to the chosen merchant, in that
 * merchant's transaction. `SHOPS` (or `LIST`, `SWITCH`) lists the merchants the phone belongs to;
 * `SWITCH <code>` or `SWITCH <n>` picks one. Replies go out with the shared number's token.
 *
 * What the merchant's transaction writes: the inbound message (its deduplication, as on a
 * tenant's number) and the reply, recorded `queued` without `next_attempt_at` (so the tenant's own
 * sender never claims it) and then updated with the outcome of the send right after the commit.
 * The conversation keeps its pending confirmation there too; its `last_inbound_at` (the 24-hour
 * window of the tenant's OWN number) is left as it was.
 */
import type { KeyObject } from 'node:crypto';
import {
  type Engine,
  newId,
  type SharedMerchant,
  type Store,
  type Tenant,
  type Tx,
  type WhatsAppMessage,
  type WhatsAppRepository,
  type WhatsAppSettings,
} from '@laas/core';
import type { Logger } from 'pino';
import type { ResolvedWhatsAppClientConfig } from '../../config.js';
import { maskPhones } from '../../logging.js';
import { normaliseCode } from '../whatsapp/commands.js';
import { converse } from '../whatsapp/conversation.js';
import { sendToGraph } from '../whatsapp/graph-client.js';
import { type OutboundPayload, textPayload } from '../whatsapp/outbound.js';
import { type InboundMessage, phoneNumberIdsIn, readPayload } from '../whatsapp/payload.js';
import { looksSigned, verifySignature } from '../whatsapp/signature.js';
import { DEFAULT_STRINGS } from '../whatsapp/strings.js';
import { openShared, type SharedWhatsAppConfig } from './config.js';

export interface SharedWhatsAppContext {
  readonly engine: Engine;
  readonly store: Store;
  readonly secretKey: KeyObject | undefined;
  readonly client: ResolvedWhatsAppClientConfig;
  readonly clock: () => Date;
  readonly logger?: Logger | undefined;
  /** Tracks a background send (so that `flush` can await it). */
  readonly track: (p: Promise<unknown>) => void;
}

/** The texts of the shared number's own layer (before a merchant is chosen). */
export const SHARED_TEXTS = Object.freeze({
  welcome:
    'Welcome! This number serves the rewards of many shops. Send JOIN and the shop code (for example JOIN KOFI) to join one.',
  unknown_merchant:
    'Sorry, "{code}" is not a shop code here. Check the code at the counter and send JOIN followed by it.',
  list_none: 'You have not joined any shop yet. Send JOIN and the shop code (for example JOIN KOFI).',
  list_header: 'Your shops:',
  list_item: '{n}. {shop} ({code}){current}',
  list_footer: 'To choose one, send SWITCH and its number or code, for example SWITCH 1.',
  switched: 'You are now at {shop}. Send BALANCE, REWARDS or HELP.',
  switch_unknown: 'You are not a member of "{choice}". Send SHOPS to see your shops.',
  help_suffix: '\nSHOPS: your shops, SWITCH 2: change shop',
});

const fill = (template: string, vars: Record<string, string | number>) =>
  template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));

type SharedCommand =
  | { kind: 'join'; code: string }
  | { kind: 'list' }
  | { kind: 'switch'; choice: string }
  | { kind: 'merchant' };

/** The shared layer's commands; everything else is the chosen merchant's. */
export function parseSharedCommand(input: string): SharedCommand {
  const text = input
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  const join = /^JOIN (.+)$/.exec(text);
  if (join !== null) return { kind: 'join', code: normaliseCode(join[1] as string) };
  if (text === 'SHOPS' || text === 'LIST' || text === 'SWITCH' || text === 'MERCHANTS')
    return { kind: 'list' };
  const sw = /^(?:SWITCH|SHOP) (.+)$/.exec(text);
  if (sw !== null) return { kind: 'switch', choice: normaliseCode(sw[1] as string) };
  return { kind: 'merchant' };
}

export type SharedReceiveResult =
  | { verified: false; reason: string }
  | { verified: true; handled: number; duplicates: number; failed: number };

/**
 * A notification for the shared number: null when the body does not name it (or none is set
 * up), so that the tenants' numbers handle it. The signature is checked with the shared app
 * secret on the raw bytes before anything is parsed.
 */
export async function receiveShared(
  ctx: SharedWhatsAppContext,
  raw: Uint8Array,
  signature: string | undefined,
): Promise<SharedReceiveResult | null> {
  const row = await ctx.store.platform.getSharedChannel('whatsapp');
  if (row === null) return null;
  const config = row.config as unknown as SharedWhatsAppConfig;
  const rawText = Buffer.from(raw).toString('utf8');
  if (!phoneNumberIdsIn(rawText).includes(config.phone_number_id)) return null;
  if (!looksSigned(signature)) return { verified: false, reason: 'missing or malformed X-Hub-Signature-256' };
  if (ctx.secretKey === undefined)
    throw new Error('LAAS_SECRET_KEY is not set: the app secret cannot be read');
  if (!verifySignature(raw, signature, openShared(ctx.secretKey, config, 'app_secret'))) {
    return { verified: false, reason: 'the signature does not match the shared number’s app secret' };
  }
  const result = { verified: true as const, handled: 0, duplicates: 0, failed: 0 };
  let json: unknown;
  try {
    json = JSON.parse(rawText);
  } catch {
    return result;
  }
  for (const change of readPayload(json) ?? []) {
    if (change.phoneNumberId !== config.phone_number_id) continue;
    for (const message of change.messages) {
      try {
        const outcome = await handleShared(ctx, config, message);
        if (outcome === 'duplicate') result.duplicates++;
        else result.handled++;
      } catch (error) {
        result.failed++;
        ctx.logger?.error(
          { err: { message: maskPhones(error instanceof Error ? error.message : String(error)) } },
          'shared whatsapp message not handled',
        );
      }
    }
  }
  return result;
}

/** The challenge when the token is the shared number's verify token; null otherwise. */
export async function sharedHandshake(
  store: Store,
  query: { mode?: string | undefined; token?: string | undefined; challenge?: string | undefined },
): Promise<string | null> {
  if (query.mode !== 'subscribe' || !query.token || query.challenge === undefined) return null;
  if (query.challenge.length > 512) return null;
  const row = await store.platform.getSharedChannel('whatsapp');
  const config = row?.config as unknown as SharedWhatsAppConfig | undefined;
  return config !== undefined && config.verify_token === query.token ? query.challenge : null;
}

async function handleShared(
  ctx: SharedWhatsAppContext,
  config: SharedWhatsAppConfig,
  message: InboundMessage,
): Promise<'handled' | 'duplicate'> {
  const phone = `+${message.phone}`;
  const platform = ctx.store.platform;
  const command = parseSharedCommand(message.text);
  const say = (text: string) => sendPlatform(ctx, config, textPayload(message.phone, text));

  if (command.kind === 'join') {
    const merchant = await platform.findSharedMerchant(command.code);
    // A code of a tenant that has not opted in reads exactly like a code nobody holds.
    if (merchant === null || !merchant.whatsapp) {
      say(fill(SHARED_TEXTS.unknown_merchant, { code: command.code }));
      return 'handled';
    }
    const outcome = await inMerchant(ctx, config, merchant, message);
    await platform.selectSharedMerchant(phone, merchant.tenant_id, ctx.clock().toISOString());
    return outcome;
  }
  const mine = await platform.listSharedMerchantsOfPhone(phone, 'whatsapp');
  if (command.kind === 'list') {
    if (mine.length === 0) say(SHARED_TEXTS.list_none);
    else {
      const current = await platform.getSharedSelection(phone);
      const lines: string[] = [SHARED_TEXTS.list_header];
      for (const [i, m] of mine.entries()) {
        const tenant = await platform.getTenant(m.tenant_id);
        lines.push(
          fill(SHARED_TEXTS.list_item, {
            n: i + 1,
            shop: tenant?.name ?? m.code,
            code: m.code,
            current: m.tenant_id === current ? ' *' : '',
          }),
        );
      }
      lines.push(SHARED_TEXTS.list_footer);
      say(lines.join('\n'));
    }
    return 'handled';
  }
  if (command.kind === 'switch') {
    const n = /^\d{1,3}$/.test(command.choice) ? Number(command.choice) : null;
    const chosen = n !== null ? mine[n - 1] : mine.find((m) => m.code === command.choice);
    if (chosen === undefined) {
      say(fill(SHARED_TEXTS.switch_unknown, { choice: command.choice }));
      return 'handled';
    }
    const selected = await platform.selectSharedMerchant(phone, chosen.tenant_id, ctx.clock().toISOString());
    const tenant = await platform.getTenant(chosen.tenant_id);
    say(
      selected
        ? fill(SHARED_TEXTS.switched, { shop: tenant?.name ?? chosen.code })
        : fill(SHARED_TEXTS.switch_unknown, { choice: command.choice }),
    );
    return 'handled';
  }
  // The merchant chosen earlier, if the phone still belongs to it and it is still opted in.
  const selection = await platform.getSharedSelection(phone);
  const merchant = mine.find((m) => m.tenant_id === selection);
  if (merchant === undefined) {
    say(mine.length === 0 ? SHARED_TEXTS.welcome : listHint(mine));
    return 'handled';
  }
  return inMerchant(ctx, config, merchant, message);
}

function listHint(mine: SharedMerchant[]): string {
  return `Which shop? Send SWITCH and its code: ${mine.map((m) => m.code).join(', ')}.`;
}

/** The settings `converse` reads, for a merchant answering on the shared number. */
function sharedSettings(
  config: SharedWhatsAppConfig,
  merchant: SharedMerchant,
  own: WhatsAppSettings | null,
): WhatsAppSettings {
  const strings = { ...(own?.strings ?? {}) };
  strings.help = `${strings.help ?? DEFAULT_STRINGS.help}${SHARED_TEXTS.help_suffix}`;
  return {
    tenant_id: merchant.tenant_id,
    phone_number_id: config.phone_number_id,
    display_phone_number: config.display_phone_number,
    access_token_encrypted: '',
    app_secret_encrypted: '',
    verify_token: '',
    enrollment_code: merchant.code,
    language: own?.language ?? config.language,
    strings,
    template_name: null,
    template_language: null,
    created_at: merchant.created_at,
    updated_at: merchant.updated_at,
  };
}

/**
 * A `Tx` whose WhatsApp repository records replies without a send time (the tenant's own sender
 * never claims them) and keeps the tenant's own 24-hour window as it was.
 */
function sharedTx(tx: Tx, replies: WhatsAppMessage[]): Tx {
  const repo = tx.whatsapp;
  const overrides: Partial<WhatsAppRepository> = {
    insertOutbound: async (row) => {
      const held = { ...row, next_attempt_at: null };
      replies.push(held);
      return repo.insertOutbound(held);
    },
    putConversation: async (conversation) => {
      const stored = await repo.getConversation(conversation.phone);
      return repo.putConversation({ ...conversation, last_inbound_at: stored?.last_inbound_at ?? null });
    },
  };
  const whatsapp = new Proxy(repo, {
    get(target, prop, receiver) {
      const own = overrides[prop as keyof WhatsAppRepository];
      if (own !== undefined) return own;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(tx, {
    get: (target, prop) => (prop === 'whatsapp' ? whatsapp : Reflect.get(target, prop, target)),
  });
}

/** One message answered by the merchant's bot, in the merchant's transaction; then the reply is sent. */
async function inMerchant(
  ctx: SharedWhatsAppContext,
  config: SharedWhatsAppConfig,
  merchant: SharedMerchant,
  message: InboundMessage,
): Promise<'handled' | 'duplicate'> {
  const tenantId = merchant.tenant_id;
  const replies: WhatsAppMessage[] = [];
  const recorded = await ctx.engine.transaction(tenantId, async (tx) => {
    const now = ctx.clock().toISOString();
    const inbound: WhatsAppMessage = {
      id: newId(),
      tenant_id: tenantId,
      direction: 'in',
      wa_message_id: message.waMessageId,
      phone: message.phone,
      kind: message.via === 'text' ? 'text' : 'interactive',
      body: { text: message.text, via: message.via, shared: true },
      status: 'received',
      error: null,
      attempts: 0,
      next_attempt_at: null,
      locked_until: null,
      created_at: now,
      updated_at: now,
    };
    if (!(await tx.whatsapp.recordInbound(inbound))) return false;
    const tenant = (await tx.tenants.get()) as Tenant;
    const settings = sharedSettings(config, merchant, await tx.whatsapp.getSettings());
    await converse({ engine: ctx.engine, tx: sharedTx(tx, replies), tenant, settings, now, newId }, message);
    return true;
  });
  if (!recorded) return 'duplicate';
  for (const reply of replies) sendRecorded(ctx, config, reply);
  return 'handled';
}

function token(ctx: SharedWhatsAppContext, config: SharedWhatsAppConfig): string {
  if (ctx.secretKey === undefined) throw new Error('LAAS_SECRET_KEY is not set');
  return openShared(ctx.secretKey, config, 'access_token');
}

/** A reply of the shared layer itself (no merchant): sent, not recorded. */
function sendPlatform(
  ctx: SharedWhatsAppContext,
  config: SharedWhatsAppConfig,
  payload: OutboundPayload,
): void {
  ctx.track(
    (async () => {
      const outcome = await sendToGraph(ctx.client, config.phone_number_id, token(ctx, config), payload);
      if (outcome.kind !== 'sent') ctx.logger?.warn({ outcome: outcome.kind }, 'shared whatsapp send failed');
    })().catch(() => {}),
  );
}

/** A merchant's recorded reply: sent with the shared token, the outcome written back. */
function sendRecorded(ctx: SharedWhatsAppContext, config: SharedWhatsAppConfig, row: WhatsAppMessage): void {
  ctx.track(
    (async () => {
      const outcome = await sendToGraph(
        ctx.client,
        config.phone_number_id,
        token(ctx, config),
        row.body as OutboundPayload,
      );
      const at = ctx.clock().toISOString();
      const after: WhatsAppMessage =
        outcome.kind === 'sent'
          ? { ...row, status: 'sent', wa_message_id: outcome.waMessageId, attempts: 1, updated_at: at }
          : {
              ...row,
              status: 'failed',
              error: `shared number: ${outcome.error}`,
              attempts: 1,
              updated_at: at,
            };
      await ctx.store.transaction(row.tenant_id, (tx) => tx.whatsapp.updateOutbound(after));
    })().catch((error: unknown) => {
      ctx.logger?.warn(
        { err: { message: maskPhones(error instanceof Error ? error.message : String(error)) } },
        'shared whatsapp send failed',
      );
    }),
  );
}
