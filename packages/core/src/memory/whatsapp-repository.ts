import type { WhatsAppMessage, WhatsAppSettings } from '../domain/whatsapp.js';
import { WHATSAPP_RECEIPT_FROM } from '../domain/whatsapp.js';
import { LaasError } from '../errors.js';
import type { WhatsAppRepository } from '../ports/repositories.js';
import { UniqueViolationError } from '../ports/store.js';
import { copy } from './copy.js';
import { SortedKeys } from './sorted-keys.js';
import { ms, pageOf, type StoreState, type TenantData } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the WhatsApp repository needs of a MemoryStore transaction (a subset of its context). */
export interface WhatsAppCtx {
  readonly tenantId: string;
  readonly state: StoreState;
  readonly data: TenantData;
  readonly log: UndoLog;
  /** Throws once the transaction has ended. */
  live(): void;
}

function own(ctx: WhatsAppCtx, row: { tenant_id: string }, entity: string): void {
  if (row.tenant_id !== ctx.tenantId) {
    throw new LaasError(
      'INTERNAL_ERROR',
      `A ${entity} of tenant ${JSON.stringify(row.tenant_id)} cannot be written in a transaction of tenant ${JSON.stringify(ctx.tenantId)}`,
      { entity, tenant_id: row.tenant_id },
    );
  }
}

/**
 * The settings indexed under `key` in a cross-tenant index, copied; null when none. For the
 * MemoryStore's platform reads.
 */
export function findWhatsAppSettings(
  state: StoreState,
  index: Map<string, string>,
  key: string,
): WhatsAppSettings | null {
  const tenantId = index.get(key);
  const settings = tenantId === undefined ? undefined : state.whatsappSettings.get(tenantId);
  return settings === undefined ? null : copy(settings);
}

/** The MemoryStore's {@link WhatsAppRepository}: every change goes through the undo log. */
export function whatsappRepository(ctx: WhatsAppCtx): WhatsAppRepository {
  const { state, data, log, tenantId } = ctx;
  const table = data.whatsappMessages;

  /** Writes a message (new or replaced) and keeps the wa id and queued indexes in step. */
  const write = (before: WhatsAppMessage | undefined, after: WhatsAppMessage): void => {
    if (before === undefined) table.insert(log, after);
    else table.replace(log, after);
    if (before?.wa_message_id !== after.wa_message_id) {
      if (before?.wa_message_id != null) log.delete(data.whatsappByWaId, before.wa_message_id);
      if (after.wa_message_id !== null) log.set(data.whatsappByWaId, after.wa_message_id, after.id);
    }
    if (after.direction === 'out' && after.status === 'queued') {
      if (!data.whatsappQueued.has(after.id)) log.set(data.whatsappQueued, after.id, true);
    } else {
      log.delete(data.whatsappQueued, after.id);
    }
    if (before === undefined) {
      let keys = data.whatsappByPhone.get(after.phone);
      if (keys === undefined) {
        keys = new SortedKeys();
        log.set(data.whatsappByPhone, after.phone, keys);
      }
      log.insertSorted(keys, after.id);
    }
  };
  const checkNew = (message: WhatsAppMessage): void => {
    own(ctx, message, 'WhatsApp message');
    if (table.has(message.id)) throw new UniqueViolationError('WhatsApp message', 'id', message.id);
  };
  const checkWaId = (message: WhatsAppMessage): void => {
    if (message.wa_message_id === null) return;
    const holder = data.whatsappByWaId.get(message.wa_message_id);
    if (holder !== undefined && holder !== message.id) {
      throw new UniqueViolationError('WhatsApp message', 'wa_message_id', message.wa_message_id);
    }
  };
  const checkGlobal = (index: Map<string, string>, field: string, value: string): void => {
    const holder = index.get(value);
    if (holder !== undefined && holder !== tenantId) {
      throw new UniqueViolationError('WhatsApp settings', field, value);
    }
  };
  const unindexSettings = (settings: WhatsAppSettings): void => {
    log.delete(state.whatsappByPhoneNumberId, settings.phone_number_id);
    log.delete(state.whatsappByVerifyToken, settings.verify_token);
  };

  return {
    async getSettings() {
      ctx.live();
      const settings = state.whatsappSettings.get(tenantId);
      return settings === undefined ? null : copy(settings);
    },
    async putSettings(settings) {
      ctx.live();
      own(ctx, settings, 'WhatsApp settings');
      checkGlobal(state.whatsappByPhoneNumberId, 'phone_number_id', settings.phone_number_id);
      checkGlobal(state.whatsappByVerifyToken, 'verify_token', settings.verify_token);
      const before = state.whatsappSettings.get(tenantId);
      if (before !== undefined) unindexSettings(before);
      log.set(state.whatsappSettings, tenantId, copy(settings));
      log.set(state.whatsappByPhoneNumberId, settings.phone_number_id, tenantId);
      log.set(state.whatsappByVerifyToken, settings.verify_token, tenantId);
    },
    async deleteSettings() {
      ctx.live();
      const before = state.whatsappSettings.get(tenantId);
      if (before === undefined) return false;
      unindexSettings(before);
      log.delete(state.whatsappSettings, tenantId);
      return true;
    },
    async recordInbound(message) {
      ctx.live();
      checkNew(message);
      if (message.wa_message_id !== null && data.whatsappByWaId.has(message.wa_message_id)) return false;
      write(undefined, copy(message));
      return true;
    },
    async insertOutbound(message) {
      ctx.live();
      checkNew(message);
      checkWaId(message);
      write(undefined, copy(message));
    },
    async updateOutbound(message) {
      ctx.live();
      const before = table.get(message.id);
      if (before === undefined || before.direction !== 'out') return;
      own(ctx, message, 'WhatsApp message');
      checkWaId(message);
      // Identity never changes: the row stays the same message of the same phone.
      write(before, {
        ...copy(message),
        direction: before.direction,
        phone: before.phone,
        created_at: before.created_at,
      });
    },
    async applyStatus(waMessageId, status, at, error) {
      ctx.live();
      const id = data.whatsappByWaId.get(waMessageId);
      const before = id === undefined ? undefined : table.get(id);
      if (before === undefined || before.direction !== 'out') return null;
      if (!WHATSAPP_RECEIPT_FROM[status].includes(before.status)) return copy(before);
      const after: WhatsAppMessage = {
        ...before,
        status,
        error: status === 'failed' ? error : before.error,
        updated_at: at,
      };
      write(before, after);
      return copy(after);
    },
    async claimQueued(now, limit, leaseMs) {
      ctx.live();
      const cutoff = ms(now);
      const due: WhatsAppMessage[] = [];
      for (const id of data.whatsappQueued.keys()) {
        const row = table.get(id);
        if (row === undefined || row.next_attempt_at === null || ms(row.next_attempt_at) > cutoff) continue;
        if (row.locked_until !== null && ms(row.locked_until) >= cutoff) continue;
        due.push(row);
      }
      due.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const lockedUntil = new Date(cutoff + leaseMs).toISOString();
      return due.slice(0, Math.max(0, Math.floor(limit))).map((row) => {
        const after = { ...row, locked_until: lockedUntil };
        write(row, after);
        return copy(after);
      });
    },
    async listMessages(page) {
      ctx.live();
      const { phone } = page;
      if (phone === undefined) return table.page(page);
      const keys = data.whatsappByPhone.get(phone);
      if (keys === undefined) return { items: [], next_cursor: null };
      return pageOf(keys, (id) => table.get(id), page);
    },
    async getConversation(phone) {
      ctx.live();
      const conversation = data.whatsappConversations.get(phone);
      return conversation === undefined ? null : copy(conversation);
    },
    async putConversation(conversation) {
      ctx.live();
      own(ctx, conversation, 'WhatsApp conversation');
      log.set(data.whatsappConversations, conversation.phone, copy(conversation));
    },
    async forgetPhone(phone) {
      ctx.live();
      log.delete(data.whatsappConversations, phone);
      const keys = data.whatsappByPhone.get(phone);
      if (keys === undefined) return 0;
      let n = 0;
      for (let i = keys.size - 1; i >= 0; i--) {
        const id = keys.at(i) as string;
        const row = table.get(id);
        if (row === undefined) continue;
        table.delete(log, id);
        if (row.wa_message_id !== null) log.delete(data.whatsappByWaId, row.wa_message_id);
        log.delete(data.whatsappQueued, id);
        n++;
      }
      log.delete(data.whatsappByPhone, phone);
      return n;
    },
  };
}
