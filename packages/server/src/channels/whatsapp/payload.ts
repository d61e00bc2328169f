/**
 * The inbound webhook payload of the WhatsApp Cloud API (PROTOCOLS.md), as zod schemas. Tolerant
 * by design: unknown fields pass, unknown message types and change fields are skipped rather
 * than refused (Meta adds types; refusing them would make Meta redeliver forever).
 */
import { z } from 'zod';

const metadataSchema = z.looseObject({
  display_phone_number: z.string().optional(),
  phone_number_id: z.string().min(1),
});

const contactSchema = z.looseObject({
  wa_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

/** Any message: just enough to route and deduplicate it. */
const anyMessageSchema = z.looseObject({
  from: z.string().regex(/^\d{6,15}$/),
  id: z.string().min(1).max(256),
  timestamp: z.string().optional(),
  type: z.string(),
});

const textMessageSchema = anyMessageSchema.extend({
  type: z.literal('text'),
  text: z.looseObject({ body: z.string() }),
});

const interactiveMessageSchema = anyMessageSchema.extend({
  type: z.literal('interactive'),
  interactive: z.discriminatedUnion('type', [
    z.looseObject({
      type: z.literal('button_reply'),
      button_reply: z.looseObject({ id: z.string(), title: z.string().optional() }),
    }),
    z.looseObject({
      type: z.literal('list_reply'),
      list_reply: z.looseObject({
        id: z.string(),
        title: z.string().optional(),
        description: z.string().optional(),
      }),
    }),
  ]),
});

/** A quick-reply button of a template message arrives as `type: "button"`. */
const buttonMessageSchema = anyMessageSchema.extend({
  type: z.literal('button'),
  button: z.looseObject({ payload: z.string().optional(), text: z.string() }),
});

const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string().optional(),
  recipient_id: z.string().optional(),
  errors: z
    .array(
      z.looseObject({
        code: z.number().optional(),
        title: z.string().optional(),
        message: z.string().optional(),
        error_data: z.looseObject({ details: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

const valueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: metadataSchema,
  contacts: z.array(contactSchema).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
});

/** The envelope: `entry[].changes[]`; only `field: "messages"` changes carry messages. */
export const webhookPayloadSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })).default([]),
    }),
  ),
});

/** What a customer sent, reduced to what the conversation needs. */
export interface InboundMessage {
  /** Meta's message id (`wamid...`): the deduplication key. */
  waMessageId: string;
  /** The customer's number, digits only (Meta's `wa_id`). */
  phone: string;
  /** The typed text, or the id of the button / list row tapped. */
  text: string;
  /** `text`, `button` (a reply button or template quick reply) or `list`. */
  via: 'text' | 'button' | 'list';
  /** The WhatsApp profile name, when Meta sent one. */
  profileName: string | null;
  /** When the customer sent it (Meta's timestamp), else null. */
  sentAt: string | null;
}

export type ReceiptStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** A delivery receipt of a message the server sent. */
export interface StatusReceipt {
  waMessageId: string;
  status: ReceiptStatus;
  at: string | null;
  error: string | null;
}

/** One `messages` change: the receiving number and what it carries. */
export interface MessagesChange {
  phoneNumberId: string;
  messages: InboundMessage[];
  statuses: StatusReceipt[];
  /** Messages of a type the bot does not read (images, stickers, ...): acknowledged, not answered. */
  ignored: Array<{ waMessageId: string; phone: string; type: string }>;
}

function isoFromUnix(value: string | undefined): string | null {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return null;
  return new Date(Number(value) * 1000).toISOString();
}

function readMessage(raw: unknown, names: Map<string, string>): InboundMessage | { ignored: string } | null {
  const base = anyMessageSchema.safeParse(raw);
  if (!base.success) return null;
  const common = {
    waMessageId: base.data.id,
    phone: base.data.from,
    profileName: names.get(base.data.from) ?? null,
    sentAt: isoFromUnix(base.data.timestamp),
  };
  const text = textMessageSchema.safeParse(raw);
  if (text.success) return { ...common, text: text.data.text.body, via: 'text' };
  const interactive = interactiveMessageSchema.safeParse(raw);
  if (interactive.success) {
    const i = interactive.data.interactive;
    return i.type === 'button_reply'
      ? { ...common, text: i.button_reply.id, via: 'button' }
      : { ...common, text: i.list_reply.id, via: 'list' };
  }
  const button = buttonMessageSchema.safeParse(raw);
  if (button.success) {
    return { ...common, text: button.data.button.payload ?? button.data.button.text, via: 'button' };
  }
  return { ignored: base.data.type };
}

function readStatus(raw: unknown): StatusReceipt | null {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success) return null;
  const s = parsed.data;
  if (s.status !== 'sent' && s.status !== 'delivered' && s.status !== 'read' && s.status !== 'failed')
    return null;
  const e = s.errors?.[0];
  const error =
    e === undefined
      ? null
      : [e.code === undefined ? null : `(#${e.code})`, e.title, e.error_data?.details ?? e.message]
          .filter((part) => part !== null && part !== undefined && part !== '')
          .join(' ') || null;
  return { waMessageId: s.id, status: s.status, at: isoFromUnix(s.timestamp), error };
}

/**
 * Every `messages` change of a (verified) payload, each with its readable messages and
 * receipts. Returns null when the payload is not a WhatsApp notification at all; entries and
 * items that do not parse are skipped.
 */
export function readPayload(json: unknown): MessagesChange[] | null {
  const envelope = webhookPayloadSchema.safeParse(json);
  if (!envelope.success) return null;
  const out: MessagesChange[] = [];
  for (const entry of envelope.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') continue;
      const value = valueSchema.safeParse(change.value);
      if (!value.success) continue;
      const names = new Map<string, string>();
      for (const c of value.data.contacts ?? []) {
        if (c.wa_id !== undefined && c.profile?.name) names.set(c.wa_id, c.profile.name);
      }
      const result: MessagesChange = {
        phoneNumberId: value.data.metadata.phone_number_id,
        messages: [],
        statuses: [],
        ignored: [],
      };
      for (const raw of value.data.messages ?? []) {
        const m = readMessage(raw, names);
        if (m === null) continue;
        if ('ignored' in m) {
          const base = anyMessageSchema.parse(raw);
          result.ignored.push({ waMessageId: base.id, phone: base.from, type: m.ignored });
        } else result.messages.push(m);
      }
      for (const raw of value.data.statuses ?? []) {
        const s = readStatus(raw);
        if (s !== null) result.statuses.push(s);
      }
      out.push(result);
    }
  }
  return out;
}

/**
 * The `phone_number_id`s a raw body names, found WITHOUT parsing it: the app secret that signs
 * a notification depends on the receiving number, so the number must be located before the
 * signature can be checked, and nothing unverified is parsed. A bounded scan; at most 20 ids.
 */
export function phoneNumberIdsIn(rawText: string): string[] {
  const ids = new Set<string>();
  for (const m of rawText.matchAll(/"phone_number_id"\s*:\s*"([^"\\]{1,64})"/g)) {
    ids.add(m[1] as string);
    if (ids.size >= 20) break;
  }
  return [...ids];
}
