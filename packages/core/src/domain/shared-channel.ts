import type { Timestamp } from '../time.js';

/** The channels a platform can share between merchants. */
export type SharedChannelKind = 'whatsapp' | 'ussd';

/**
 * The platform's configuration of one shared channel (one WhatsApp number, or one USSD service
 * code, used by many merchants). `config` is opaque to the store: the server decides its shape
 * and seals its secrets before it is stored.
 */
export interface SharedChannelConfig {
  channel: SharedChannelKind;
  config: Record<string, unknown>;
  updated_at: Timestamp;
}

/**
 * A tenant's place on the shared channels: its short merchant code (3 to 12 of A-Z and 0-9,
 * unique across the platform) and which shared channels it opted in to.
 */
export interface SharedMerchant {
  tenant_id: string;
  code: string;
  whatsapp: boolean;
  ussd: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A merchant code as stored and compared: 3 to 12 of A-Z and 0-9. */
export const MERCHANT_CODE_PATTERN = /^[A-Z0-9]{3,12}$/;

/**
 * The `tenant_id` of the platform's own rows (shared channel configuration, phone selections) in
 * the SQL stores: every key still leads with a tenant id (the schema distributes by it), and no
 * tenant has this one (tenant ids are UUIDv7).
 */
export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000000';
