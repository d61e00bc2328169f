/**
 * Ports of the shared channels (one WhatsApp number and one USSD code for many merchants): a
 * tenant's own row (its merchant code and opt-ins), and the platform-level reads and writes the
 * public edges need before any tenant is known.
 */
import type { SharedChannelConfig, SharedChannelKind, SharedMerchant } from '../domain/shared-channel.js';
import type { Timestamp } from '../time.js';

/** The tenant's merchant code and opt-ins (one row per tenant, in a tenant transaction). */
export interface SharedMerchantRepository {
  getMerchant(): Promise<SharedMerchant | null>;
  /**
   * Inserts or replaces this tenant's row. Throws `UniqueViolationError` (field `code`) when
   * another tenant holds the code, including a concurrent transaction that commits first (a
   * unique index on the code alone); nothing is written then and the transaction stays usable.
   */
  putMerchant(merchant: SharedMerchant): Promise<void>;
  /** False when there was none. */
  deleteMerchant(): Promise<boolean>;
}

/** Platform-level methods of the shared channels (no tenant is known yet; each is atomic). */
export interface SharedChannelPlatformRepository {
  /** The platform's configuration of a shared channel; null when it is not set up. */
  getSharedChannel(channel: SharedChannelKind): Promise<SharedChannelConfig | null>;
  /** Inserts or replaces the configuration of `config.channel`. */
  putSharedChannel(config: SharedChannelConfig): Promise<void>;
  /** The merchant holding `code` (already normalised to A-Z0-9), whatever its opt-ins; null when none. */
  findSharedMerchant(code: string): Promise<SharedMerchant | null>;
  /**
   * The merchants opted in to `channel` of which `phone` (E.164) is a customer that is not
   * erased, ordered by code. MUST NOT name a merchant the phone does not belong to.
   */
  listSharedMerchantsOfPhone(phone: string, channel: SharedChannelKind): Promise<SharedMerchant[]>;
  /** The tenant `phone` (E.164) last chose on the shared WhatsApp number; null when none. */
  getSharedSelection(phone: string): Promise<string | null>;
  /**
   * Makes `tenantId` the phone's current merchant on the shared WhatsApp number. MUST apply only
   * when the tenant is opted in to the shared WhatsApp number and `phone` is a customer of it
   * that is not erased (checked in the same statement); returns false, changing nothing,
   * otherwise.
   */
  selectSharedMerchant(phone: string, tenantId: string, now: Timestamp): Promise<boolean>;
}
