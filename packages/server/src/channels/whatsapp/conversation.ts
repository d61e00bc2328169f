/**
 * The bot: what to answer a customer's message, inside the transaction that records it. Engine
 * calls made here (enrolment, redemption) join that transaction (`engine.transaction`), and the
 * replies are written as `queued` outbound rows of the same transaction: a message is handled
 * completely, or not at all.
 */
import type {
  Customer,
  Engine,
  Issuance,
  Tenant,
  Tx,
  WhatsAppConversation,
  WhatsAppMessage,
  WhatsAppSettings,
} from '@laas/core';
import { redeemable } from '../redeemable.js';
import { BUTTON_IDS, type Command, normaliseCode, parseCommand } from './commands.js';
import { buttonsPayload, type OutboundPayload, textPayload } from './outbound.js';
import type { InboundMessage } from './payload.js';
import { type Texts, textsOf } from './strings.js';

/** How long a REDEEM waits for its YES. */
export const CONFIRM_TTL_MS = 5 * 60_000;
/** Rewards listed at most (a WhatsApp message stays readable). */
const MAX_LISTED = 20;

/** Everything one message's handling needs; `tx` is the open transaction. */
export interface ConversationContext {
  readonly engine: Engine;
  readonly tx: Tx;
  readonly tenant: Tenant;
  readonly settings: WhatsAppSettings;
  /** ISO time of the handling. */
  readonly now: string;
  readonly newId: () => string;
}

/** A queued outbound row (sent after the commit, or by the worker). */
export function queuedMessage(
  ctx: Pick<ConversationContext, 'tenant' | 'now' | 'newId'>,
  payload: OutboundPayload,
  kind: WhatsAppMessage['kind'],
): WhatsAppMessage {
  return {
    id: ctx.newId(),
    tenant_id: ctx.tenant.id,
    direction: 'out',
    wa_message_id: null,
    phone: payload.to,
    kind,
    body: payload,
    status: 'queued',
    error: null,
    attempts: 0,
    next_attempt_at: ctx.now,
    locked_until: null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
}

/** A date and time in the tenant's time zone and the settings' language. */
export function localDate(at: string, tenant: Tenant, language: string): string {
  const options: Intl.DateTimeFormatOptions = {
    timeZone: tenant.timezone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  };
  try {
    return new Intl.DateTimeFormat(language, options).format(new Date(at));
  } catch {
    return new Intl.DateTimeFormat('en', options).format(new Date(at));
  }
}

/** `{code_part}`, `{expiry_part}` and `{expiry_sentence}` of an issuance ('' when it has none). */
export function issuanceParts(
  t: Texts,
  issuance: Pick<Issuance, 'code' | 'expires_at'>,
  tenant: Tenant,
  language: string,
): { code_part: string; expiry_part: string; expiry_sentence: string } {
  const date = issuance.expires_at === null ? null : localDate(issuance.expires_at, tenant, language);
  return {
    code_part: issuance.code === null ? '' : t('code_part', { code: issuance.code }),
    expiry_part: date === null ? '' : t('expiry_part', { date }),
    expiry_sentence: date === null ? '' : t('expiry_sentence', { date }),
  };
}

type Reply = { text: string; buttons?: Array<{ id: string; title: string }> };

function menuButtons(t: Texts) {
  return [
    { id: BUTTON_IDS.balance, title: t('button_balance') },
    { id: BUTTON_IDS.rewards, title: t('button_rewards') },
    { id: BUTTON_IDS.help, title: t('button_help') },
  ];
}

/** The answer of a member's command; may redeem (through the engine) and change `conversation`. */
async function memberReply(
  ctx: ConversationContext,
  t: Texts,
  customer: Customer,
  command: Command,
  conversation: WhatsAppConversation,
): Promise<Reply> {
  const shop = ctx.tenant.name;
  const lang = ctx.settings.language;
  const pending = conversation.pending;
  const live = pending !== null && pending.expires_at > ctx.now ? pending : null;
  // Anything but an answer to the question cancels the question.
  if (command.kind !== 'yes' && command.kind !== 'no') conversation.pending = null;

  switch (command.kind) {
    case 'join':
      return { text: t('already_member', { shop }), buttons: menuButtons(t) };
    case 'balance': {
      const count = (await redeemable(ctx.tx, customer.id, ctx.now)).length;
      const lines = [t('balance', { shop, points: customer.stats.points_balance })];
      if (count > 0) lines.push(t('balance_rewards', { count }));
      return {
        text: lines.join('\n'),
        buttons: count > 0 ? [{ id: BUTTON_IDS.rewards, title: t('button_rewards') }] : [],
      };
    }
    case 'rewards': {
      const list = await redeemable(ctx.tx, customer.id, ctx.now);
      if (list.length === 0) return { text: t('rewards_none', { shop }) };
      const lines = [t('rewards_header', { shop })];
      for (const item of list.slice(0, MAX_LISTED)) {
        lines.push(
          t('rewards_item', {
            n: item.n,
            reward: item.reward.name,
            ...issuanceParts(t, item.issuance, ctx.tenant, lang),
          }),
        );
      }
      lines.push(t('rewards_footer'));
      return { text: lines.join('\n') };
    }
    case 'redeem': {
      if (command.n === null) return { text: t('redeem_which') };
      const item = (await redeemable(ctx.tx, customer.id, ctx.now)).find((x) => x.n === command.n);
      if (item === undefined) return { text: t('redeem_unknown', { n: command.n }) };
      conversation.pending = {
        kind: 'redeem_confirm',
        issuance_id: item.issuance.id,
        label: item.reward.name,
        expires_at: new Date(Date.parse(ctx.now) + CONFIRM_TTL_MS).toISOString(),
      };
      return {
        text: t('redeem_confirm', {
          reward: item.reward.name,
          ...issuanceParts(t, item.issuance, ctx.tenant, lang),
        }),
        buttons: [
          { id: BUTTON_IDS.yes, title: t('button_yes') },
          { id: BUTTON_IDS.no, title: t('button_no') },
        ],
      };
    }
    case 'yes': {
      conversation.pending = null;
      if (live === null) return { text: t('nothing_to_confirm') };
      const issuance = await ctx.tx.issuances.get(live.issuance_id);
      const reason =
        issuance === null || issuance.customer_id !== customer.id
          ? 'it is not one of your rewards'
          : issuance.state !== 'issued'
            ? `it is ${issuance.state}`
            : issuance.expires_at !== null && issuance.expires_at <= ctx.now
              ? 'it has expired'
              : null;
      if (reason !== null || issuance === null) {
        return { text: t('redeem_failed', { reward: live.label, reason: reason ?? '' }) };
      }
      const redeemed = await ctx.engine.redeem(ctx.tenant.id, { issuance_id: issuance.id });
      return {
        text: t('redeemed', {
          reward: live.label,
          ...issuanceParts(t, redeemed, ctx.tenant, lang),
        }),
      };
    }
    case 'no':
      conversation.pending = null;
      if (live === null) return { text: t('nothing_to_confirm') };
      return { text: t('redeem_cancelled', { reward: live.label }) };
    case 'help':
      return { text: t('help', { shop }), buttons: menuButtons(t) };
    case 'unknown':
      return { text: `${t('unknown')}\n\n${t('help', { shop })}`, buttons: menuButtons(t) };
  }
}

/** The answer to someone who is not a member (yet): JOIN with the right code enrolls. */
async function visitorReply(
  ctx: ConversationContext,
  t: Texts,
  message: InboundMessage,
  command: Command,
): Promise<Reply> {
  const shop = ctx.tenant.name;
  if (command.kind !== 'join' || command.code === '') return { text: t('not_member', { shop }) };
  if (command.code !== normaliseCode(ctx.settings.enrollment_code)) {
    return { text: t('join_wrong_code', { shop, code: command.code }) };
  }
  const name = message.profileName?.trim().slice(0, 200) ?? '';
  await ctx.engine.customers.create(ctx.tenant.id, {
    phone: `+${message.phone}`,
    ...(name === '' ? {} : { name }),
  });
  return {
    text: t('joined', { shop, name_part: name === '' ? '' : `, ${name}` }),
    buttons: menuButtons(t),
  };
}

/**
 * Answers one (already recorded, not duplicate) message: runs the command, stores the
 * conversation (24-hour window, pending confirmation) and queues the reply. Returns the queued
 * row.
 */
export async function converse(ctx: ConversationContext, message: InboundMessage): Promise<WhatsAppMessage> {
  const t = textsOf(ctx.settings.strings);
  const conversation: WhatsAppConversation = (await ctx.tx.whatsapp.getConversation(message.phone)) ?? {
    tenant_id: ctx.tenant.id,
    phone: message.phone,
    last_inbound_at: null,
    pending: null,
    updated_at: ctx.now,
  };
  const command = parseCommand(message.text);
  const customer = await ctx.tx.customers.findByPhone(`+${message.phone}`);
  let reply: Reply;
  if (customer === null || customer.status === 'erased') {
    conversation.pending = null;
    reply = await visitorReply(ctx, t, message, command);
  } else if (customer.status === 'blocked') {
    conversation.pending = null;
    reply = { text: t('blocked', { shop: ctx.tenant.name }) };
  } else {
    reply = await memberReply(ctx, t, customer, command, conversation);
  }
  // The 24-hour window opens when the customer wrote (a redelivery may come much later).
  const wrote = message.sentAt !== null && message.sentAt < ctx.now ? message.sentAt : ctx.now;
  const last =
    conversation.last_inbound_at !== null && conversation.last_inbound_at > wrote
      ? conversation.last_inbound_at
      : wrote;
  await ctx.tx.whatsapp.putConversation({ ...conversation, last_inbound_at: last, updated_at: ctx.now });
  const payload =
    reply.buttons !== undefined && reply.buttons.length > 0
      ? buttonsPayload(message.phone, reply.text, reply.buttons)
      : textPayload(message.phone, reply.text);
  const queued = queuedMessage(ctx, payload, payload.type === 'interactive' ? 'interactive' : 'text');
  await ctx.tx.whatsapp.insertOutbound(queued);
  return queued;
}

/** The apology queued when handling a message failed (in a transaction of its own). */
export function apology(
  ctx: Pick<ConversationContext, 'tenant' | 'now' | 'newId' | 'settings'>,
  phone: string,
): WhatsAppMessage {
  const t = textsOf(ctx.settings.strings);
  return queuedMessage(ctx, textPayload(phone, t('error')), 'text');
}
