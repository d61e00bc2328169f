import type { Timestamp } from '../time.js';

/**
 * A tenant's WhatsApp Cloud API connection. Secrets are stored encrypted by the server
 * (AES-256-GCM envelopes, opaque strings to the store).
 */
export interface WhatsAppSettings {
  tenant_id: string;
  /** Meta's id of the receiving business number; unique across ALL tenants. */
  phone_number_id: string;
  /** The business number in international digits (no +), used in wa.me links. */
  display_phone_number: string;
  access_token_encrypted: string;
  app_secret_encrypted: string;
  /** Meta's webhook verification token; unique across all tenants (the handshake finds the tenant by it). */
  verify_token: string;
  /** What a customer sends after JOIN to enroll (e.g. "COFFEE"); compared case-insensitively. */
  enrollment_code: string;
  /** BCP-47 language of replies, e.g. "en". */
  language: string;
  /** Overrides of reply texts by message key. */
  strings: Record<string, string>;
  /** Approved template for notifications outside the 24-hour window; null = skip and record. */
  template_name: string | null;
  template_language: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `in`: a message a customer sent; `out`: one the bot sends. */
export type WhatsAppDirection = 'in' | 'out';
/** in: received. out: queued → sent → delivered → read, or failed / skipped. */
export type WhatsAppMessageStatus =
  | 'received'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed'
  | 'skipped';
export type WhatsAppMessageKind = 'text' | 'interactive' | 'template' | 'notification';

/** One message received from, or sent (or to be sent) to, a customer's phone. */
export interface WhatsAppMessage {
  /** UUIDv7. */
  id: string;
  tenant_id: string;
  direction: WhatsAppDirection;
  /** Meta's `wamid...` (inbound: the message id; outbound: set once sent). Unique per tenant when set. */
  wa_message_id: string | null;
  /** Customer phone in international digits, no + (Meta's wa_id). */
  phone: string;
  kind: WhatsAppMessageKind;
  /** Inbound: the text or button id received. Outbound: the JSON payload sent/to send. */
  body: unknown;
  status: WhatsAppMessageStatus;
  error: string | null;
  /** Outbound queued messages: attempts so far. */
  attempts: number;
  /** Outbound queued messages: when to try next (a queued message without one is never claimed). */
  next_attempt_at: Timestamp | null;
  /** Lease of a worker sending it (null when not claimed). */
  locked_until: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** What the bot awaits from one phone: a YES/NO to redeem an issuance, until `expires_at`. */
export interface WhatsAppPendingRedeem {
  kind: 'redeem_confirm';
  issuance_id: string;
  label: string;
  expires_at: Timestamp;
}

/** What the bot is waiting for from one phone, and when that phone last wrote (24 h window). */
export interface WhatsAppConversation {
  tenant_id: string;
  phone: string;
  last_inbound_at: Timestamp | null;
  /** Awaiting a YES/NO to redeem this issuance (expires_at: the confirmation's deadline). */
  pending: WhatsAppPendingRedeem | null;
  updated_at: Timestamp;
}

/** The statuses a delivery receipt from Meta can report for an outbound message. */
export type WhatsAppReceiptStatus = 'sent' | 'delivered' | 'read' | 'failed';

/**
 * The statuses an outbound message may be in for a receipt of `status` to apply: statuses only
 * move forward (queued < sent < delivered < read), and `failed` only from a message not yet read.
 * A late or repeated receipt matches none and changes nothing.
 */
export const WHATSAPP_RECEIPT_FROM: Readonly<
  Record<WhatsAppReceiptStatus, readonly WhatsAppMessageStatus[]>
> = {
  sent: ['queued'],
  delivered: ['queued', 'sent'],
  read: ['queued', 'sent', 'delivered'],
  failed: ['queued', 'sent', 'delivered'],
};
