import {
  type Page,
  type PageRequest,
  type Timestamp,
  WHATSAPP_RECEIPT_FROM,
  type WhatsAppConversation,
  type WhatsAppMessage,
  type WhatsAppReceiptStatus,
  type WhatsAppRepository,
  type WhatsAppSettings,
} from '@laas/core';
import { toTs } from '../mapping/helpers.js';
import {
  whatsappConversationFromRow,
  whatsappConversationToRow,
  whatsappMessageFromRow,
  whatsappMessageToRow,
  whatsappSettingsFromRow,
  whatsappSettingsToRow,
} from '../mapping/whatsapp.js';
import { defineQuery, defineSql, p, type QueryDef } from '../query.js';
import type { WhatsAppConversationsTable, WhatsAppMessagesTable, WhatsAppSettingsTable } from '../schema.js';
import { insertDef, listPage, type Scope } from './scope.js';

const getSettings = defineQuery((db) =>
  db.selectFrom('whatsapp_settings').selectAll().where('tenant_id', '=', p('tenant_id')),
);
/**
 * Insert or replace by tenant. A phone number id or verify token held by another tenant fails on
 * its own unique index (`UNIQUE constraint failed: whatsapp_settings.verify_token`), changing nothing.
 */
const putSettings = defineSql(
  `INSERT INTO whatsapp_settings (tenant_id, phone_number_id, display_phone_number,
     access_token_encrypted, app_secret_encrypted, verify_token, enrollment_code, language, strings,
     template_name, template_language, created_at, updated_at)
   VALUES (@tenant_id, @phone_number_id, @display_phone_number, @access_token_encrypted,
     @app_secret_encrypted, @verify_token, @enrollment_code, @language, @strings, @template_name,
     @template_language, @created_at, @updated_at)
   ON CONFLICT (tenant_id) DO UPDATE SET
     phone_number_id = excluded.phone_number_id, display_phone_number = excluded.display_phone_number,
     access_token_encrypted = excluded.access_token_encrypted,
     app_secret_encrypted = excluded.app_secret_encrypted, verify_token = excluded.verify_token,
     enrollment_code = excluded.enrollment_code, language = excluded.language,
     strings = excluded.strings, template_name = excluded.template_name,
     template_language = excluded.template_language, created_at = excluded.created_at,
     updated_at = excluded.updated_at`,
);
const deleteSettings = defineQuery((db) =>
  db.deleteFrom('whatsapp_settings').where('tenant_id', '=', p('tenant_id')),
);
/** A redelivered wa id hits the partial unique index and inserts nothing (a duplicate row id still fails). */
const recordInbound = defineSql(
  `INSERT INTO whatsapp_messages (tenant_id, id, direction, wa_message_id, phone, kind, body, status,
     error, attempts, next_attempt_at, locked_until, created_at, updated_at)
   VALUES (@tenant_id, @id, @direction, @wa_message_id, @phone, @kind, @body, @status, @error,
     @attempts, @next_attempt_at, @locked_until, @created_at, @updated_at)
   ON CONFLICT (tenant_id, wa_message_id) WHERE wa_message_id IS NOT NULL DO NOTHING`,
);
/** Everything but the message's identity (id, tenant, direction, phone, created_at). */
const updateOutbound = defineQuery((db) =>
  db
    .updateTable('whatsapp_messages')
    .set({
      wa_message_id: p('wa_message_id'),
      kind: p('kind'),
      body: p('body'),
      status: p('status'),
      error: p('error'),
      attempts: p('attempts'),
      next_attempt_at: p('next_attempt_at'),
      locked_until: p('locked_until'),
      updated_at: p('updated_at'),
    })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .where('direction', '=', 'out'),
);
const outboundByWaId = defineQuery((db) =>
  db
    .selectFrom('whatsapp_messages')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('wa_message_id', '=', p('wa_message_id'))
    .where('direction', '=', 'out'),
);
/** One guarded UPDATE per receipt status: it applies only from the statuses the receipt moves forward. */
const applyStatus = Object.fromEntries(
  Object.entries(WHATSAPP_RECEIPT_FROM).map(([status, from]) => [
    status,
    defineSql(
      `UPDATE whatsapp_messages
         SET status = '${status}', updated_at = @at${status === 'failed' ? ', error = @error' : ''}
       WHERE tenant_id = @tenant_id AND wa_message_id = @wa_message_id AND direction = 'out'
         AND status IN (${from.map((s) => `'${s}'`).join(', ')})
       RETURNING *`,
    ),
  ]),
) as Record<WhatsAppReceiptStatus, QueryDef>;
/**
 * One statement, inside the store's write transaction (BEGIN IMMEDIATE, one writer at a time):
 * two claims can never interleave.
 */
const claimQueued = defineSql(
  `UPDATE whatsapp_messages SET locked_until = @locked_until
   WHERE tenant_id = @tenant_id AND id IN (
     SELECT id FROM whatsapp_messages
     WHERE tenant_id = @tenant_id AND status = 'queued' AND direction = 'out'
       AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until < @now)
     ORDER BY id LIMIT @limit)
   RETURNING *`,
);
const getConversation = defineQuery((db) =>
  db
    .selectFrom('whatsapp_conversations')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('phone', '=', p('phone')),
);
const putConversation = defineSql(
  `INSERT INTO whatsapp_conversations (tenant_id, phone, last_inbound_at, pending, updated_at)
   VALUES (@tenant_id, @phone, @last_inbound_at, @pending, @updated_at)
   ON CONFLICT (tenant_id, phone) DO UPDATE SET
     last_inbound_at = excluded.last_inbound_at, pending = excluded.pending,
     updated_at = excluded.updated_at`,
);
const deleteConversation = defineQuery((db) =>
  db
    .deleteFrom('whatsapp_conversations')
    .where('tenant_id', '=', p('tenant_id'))
    .where('phone', '=', p('phone')),
);
const deleteMessagesOfPhone = defineQuery((db) =>
  db.deleteFrom('whatsapp_messages').where('tenant_id', '=', p('tenant_id')).where('phone', '=', p('phone')),
);

export class SqliteWhatsAppRepository implements WhatsAppRepository {
  constructor(private readonly s: Scope) {}

  async getSettings(): Promise<WhatsAppSettings | null> {
    const row = this.s.r.get<WhatsAppSettingsTable>(getSettings, { tenant_id: this.s.tenantId });
    return row === undefined ? null : whatsappSettingsFromRow(row);
  }

  async putSettings(settings: WhatsAppSettings): Promise<void> {
    const row = this.s.own(whatsappSettingsToRow(settings), 'WhatsApp settings');
    this.s.unique('WhatsApp settings', row, () => this.s.r.run(putSettings, row));
  }

  async deleteSettings(): Promise<boolean> {
    return this.s.r.run(deleteSettings, { tenant_id: this.s.tenantId }) > 0;
  }

  async recordInbound(message: WhatsAppMessage): Promise<boolean> {
    const row = this.s.own(whatsappMessageToRow(message), 'WhatsApp message');
    return this.s.unique('WhatsApp message', row, () => this.s.r.run(recordInbound, row)) > 0;
  }

  async insertOutbound(message: WhatsAppMessage): Promise<void> {
    const row = this.s.own(whatsappMessageToRow(message), 'WhatsApp message');
    this.s.unique('WhatsApp message', row, () => this.s.r.run(insertDef('whatsapp_messages', row), row));
  }

  async updateOutbound(message: WhatsAppMessage): Promise<void> {
    const row = this.s.own(whatsappMessageToRow(message), 'WhatsApp message');
    this.s.unique('WhatsApp message', row, () => this.s.r.run(updateOutbound, row));
  }

  async applyStatus(
    waMessageId: string,
    status: WhatsAppReceiptStatus,
    at: Timestamp,
    error: string | null,
  ): Promise<WhatsAppMessage | null> {
    const args = { tenant_id: this.s.tenantId, wa_message_id: waMessageId, at: toTs(at), error };
    const row =
      this.s.r.get<WhatsAppMessagesTable>(applyStatus[status], args) ??
      this.s.r.get<WhatsAppMessagesTable>(outboundByWaId, args);
    return row === undefined ? null : whatsappMessageFromRow(row);
  }

  async claimQueued(now: Timestamp, limit: number, leaseMs: number): Promise<WhatsAppMessage[]> {
    const rows = this.s.r.all<WhatsAppMessagesTable>(claimQueued, {
      tenant_id: this.s.tenantId,
      now: toTs(now),
      locked_until: new Date(Date.parse(now) + leaseMs).toISOString(),
      limit: Math.max(0, Math.floor(limit)),
    });
    // RETURNING has no order: oldest first, as the port says.
    return rows.map(whatsappMessageFromRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async listMessages(page: PageRequest & { phone?: string | undefined }): Promise<Page<WhatsAppMessage>> {
    const { phone } = page;
    return listPage(
      this.s,
      'whatsapp_messages',
      page,
      whatsappMessageFromRow,
      phone === undefined ? undefined : (q) => q.where('phone', '=', phone),
    );
  }

  async getConversation(phone: string): Promise<WhatsAppConversation | null> {
    const row = this.s.r.get<WhatsAppConversationsTable>(getConversation, {
      tenant_id: this.s.tenantId,
      phone,
    });
    return row === undefined ? null : whatsappConversationFromRow(row);
  }

  async putConversation(conversation: WhatsAppConversation): Promise<void> {
    const row = this.s.own(whatsappConversationToRow(conversation), 'WhatsApp conversation');
    this.s.r.run(putConversation, row);
  }

  async forgetPhone(phone: string): Promise<number> {
    const args = { tenant_id: this.s.tenantId, phone };
    this.s.r.run(deleteConversation, args);
    return this.s.r.run(deleteMessagesOfPhone, args);
  }
}
