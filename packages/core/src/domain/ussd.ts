import { z } from 'zod';
import type { Timestamp } from '../time.js';

/**
 * A tenant's USSD channel: the short code customers dial and how the menus read. One per tenant;
 * the gateway's `serviceCode` names the tenant, so a service code belongs to at most one tenant
 * across the whole platform.
 */
export interface UssdSettings {
  tenant_id: string;
  /** The code customers dial, as the gateway sends it (`*384*123#`); unique across ALL tenants. */
  service_code: string;
  /** BCP-47 language of the menus (`en`); the built-in texts are English, `strings` localises them. */
  language: string;
  /** Overrides of menu texts by key (the server documents the keys); absent keys use the defaults. */
  strings: Record<string, string>;
  /** Whether a phone that is not a customer may join from the menu (else it is told it is not a member). */
  allow_join: boolean;
  /**
   * SHA-256 (hex) of the callback secret the gateway's URL carries
   * (`/public/ussd/callback/{secret}`); the secret itself is shown once and never stored. Null for
   * settings saved before callbacks needed one: their callbacks answer 404 until it is rotated.
   */
  callback_secret_hash: string | null;
  /** CIDRs the gateway calls from (`["196.201.214.0/24"]`); empty: any address. */
  allowed_ips: string[];
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * A USSD service code: `*`, `#` and digits, such as `*384*123#` or `*120*77*1#`. Gateways send it
 * exactly as configured, so it is stored exactly as given (after trimming).
 */
export const ussdServiceCodeSchema = z
  .string()
  .trim()
  .regex(/^[*#0-9]{2,40}$/, { message: 'must be a USSD code of *, # and digits such as "*384*123#"' });
