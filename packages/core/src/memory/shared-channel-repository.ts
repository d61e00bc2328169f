import type { SharedChannelConfig, SharedChannelKind, SharedMerchant } from '../domain/shared-channel.js';
import { LaasError } from '../errors.js';
import type { SharedChannelPlatformRepository, SharedMerchantRepository } from '../ports/shared-channels.js';
import { UniqueViolationError } from '../ports/store.js';
import type { Timestamp } from '../time.js';
import { copy } from './copy.js';
import type { StoreState } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the shared-merchant repository needs of a MemoryStore transaction. */
export interface SharedMerchantCtx {
  readonly tenantId: string;
  readonly state: StoreState;
  readonly log: UndoLog;
  live(): void;
}

/**
 * The MemoryStore's {@link SharedMerchantRepository}: rows in the store-wide state next to the
 * cross-tenant code index; every change goes through the undo log.
 */
export function sharedMerchantRepository(ctx: SharedMerchantCtx): SharedMerchantRepository {
  const { state, log, tenantId } = ctx;
  return {
    async getMerchant() {
      ctx.live();
      const row = state.sharedMerchants.get(tenantId);
      return row === undefined ? null : copy(row);
    },
    async putMerchant(merchant) {
      ctx.live();
      if (merchant.tenant_id !== tenantId) {
        throw new LaasError(
          'INTERNAL_ERROR',
          `A shared merchant of tenant ${JSON.stringify(merchant.tenant_id)} cannot be written in a transaction of tenant ${JSON.stringify(tenantId)}`,
        );
      }
      const holder = state.sharedMerchantByCode.get(merchant.code);
      if (holder !== undefined && holder !== tenantId) {
        throw new UniqueViolationError('shared merchant', 'code', merchant.code);
      }
      const before = state.sharedMerchants.get(tenantId);
      if (before !== undefined && before.code !== merchant.code)
        log.delete(state.sharedMerchantByCode, before.code);
      log.set(state.sharedMerchants, tenantId, copy(merchant));
      log.set(state.sharedMerchantByCode, merchant.code, tenantId);
    },
    async deleteMerchant() {
      ctx.live();
      const before = state.sharedMerchants.get(tenantId);
      if (before === undefined) return false;
      log.delete(state.sharedMerchants, tenantId);
      log.delete(state.sharedMerchantByCode, before.code);
      return true;
    },
  };
}

/** Whether `phone` is a customer of `tenantId` that is not erased. */
function belongs(state: StoreState, tenantId: string, phone: string): boolean {
  const data = state.data.get(tenantId);
  const id = data?.customerByPhone.get(phone);
  const customer = id === undefined ? undefined : data?.customers.get(id);
  return customer !== undefined && customer.status !== 'erased' && customer.phone === phone;
}

/**
 * The MemoryStore's {@link SharedChannelPlatformRepository}. `exclusive` runs a function between
 * transactions (platform writes are not part of any tenant's transaction).
 */
export function sharedChannelPlatform(
  state: StoreState,
  exclusive: <T>(fn: () => T) => Promise<T>,
): SharedChannelPlatformRepository {
  return {
    getSharedChannel: (channel: SharedChannelKind) =>
      exclusive(() => {
        const row = state.sharedChannels.get(channel);
        return row === undefined ? null : copy(row);
      }),
    putSharedChannel: (config: SharedChannelConfig) =>
      exclusive(() => {
        state.sharedChannels.set(config.channel, copy(config));
      }),
    findSharedMerchant: (code: string) =>
      exclusive(() => {
        const tenantId = state.sharedMerchantByCode.get(code);
        const row = tenantId === undefined ? undefined : state.sharedMerchants.get(tenantId);
        return row === undefined ? null : copy(row);
      }),
    listSharedMerchantsOfPhone: (phone: string, channel: SharedChannelKind) =>
      exclusive(() =>
        [...state.sharedMerchants.values()]
          .filter((m) => m[channel] && belongs(state, m.tenant_id, phone))
          .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
          .map((m): SharedMerchant => copy(m)),
      ),
    getSharedSelection: (phone: string) => exclusive(() => state.sharedSelections.get(phone) ?? null),
    selectSharedMerchant: (phone: string, tenantId: string, _now: Timestamp) =>
      exclusive(() => {
        const merchant = state.sharedMerchants.get(tenantId);
        if (merchant === undefined || !merchant.whatsapp || !belongs(state, tenantId, phone)) return false;
        state.sharedSelections.set(phone, tenantId);
        return true;
      }),
  };
}
