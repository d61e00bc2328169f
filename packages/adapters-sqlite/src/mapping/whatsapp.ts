import type {
  WhatsAppConversation,
  WhatsAppDirection,
  WhatsAppMessage,
  WhatsAppMessageKind,
  WhatsAppMessageStatus,
  WhatsAppSettings,
} from '@laas/core';
import type { WhatsAppConversationsTable, WhatsAppMessagesTable, WhatsAppSettingsTable } from '../schema.js';
import { fromJson, orNull, toJson, toTs, toTsOrNull } from './helpers.js';

export function whatsappSettingsToRow(w: WhatsAppSettings): WhatsAppSettingsTable {
  return {
    tenant_id: w.tenant_id,
    phone_number_id: w.phone_number_id,
    display_phone_number: w.display_phone_number,
    access_token_encrypted: w.access_token_encrypted,
    app_secret_encrypted: w.app_secret_encrypted,
    verify_token: w.verify_token,
    enrollment_code: w.enrollment_code,
    language: w.language,
    strings: toJson(w.strings ?? {}),
    template_name: orNull(w.template_name),
    template_language: orNull(w.template_language),
    created_at: toTs(w.created_at),
    updated_at: toTs(w.updated_at),
  };
}

export function whatsappSettingsFromRow(r: WhatsAppSettingsTable): WhatsAppSettings {
  return {
    tenant_id: r.tenant_id,
    phone_number_id: r.phone_number_id,
    display_phone_number: r.display_phone_number,
    access_token_encrypted: r.access_token_encrypted,
    app_secret_encrypted: r.app_secret_encrypted,
    verify_token: r.verify_token,
    enrollment_code: r.enrollment_code,
    language: r.language,
    strings: fromJson<Record<string, string>>(r.strings),
    template_name: r.template_name,
    template_language: r.template_language,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function whatsappMessageToRow(m: WhatsAppMessage): WhatsAppMessagesTable {
  return {
    tenant_id: m.tenant_id,
    id: m.id,
    direction: m.direction,
    wa_message_id: orNull(m.wa_message_id),
    phone: m.phone,
    kind: m.kind,
    body: toJson(m.body),
    status: m.status,
    error: orNull(m.error),
    attempts: m.attempts,
    next_attempt_at: toTsOrNull(m.next_attempt_at),
    locked_until: toTsOrNull(m.locked_until),
    created_at: toTs(m.created_at),
    updated_at: toTs(m.updated_at),
  };
}

export function whatsappMessageFromRow(r: WhatsAppMessagesTable): WhatsAppMessage {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    direction: r.direction as WhatsAppDirection,
    wa_message_id: r.wa_message_id,
    phone: r.phone,
    kind: r.kind as WhatsAppMessageKind,
    body: fromJson<unknown>(r.body),
    status: r.status as WhatsAppMessageStatus,
    error: r.error,
    attempts: r.attempts,
    next_attempt_at: r.next_attempt_at,
    locked_until: r.locked_until,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function whatsappConversationToRow(c: WhatsAppConversation): WhatsAppConversationsTable {
  return {
    tenant_id: c.tenant_id,
    phone: c.phone,
    last_inbound_at: toTsOrNull(c.last_inbound_at),
    pending: c.pending == null ? null : toJson({ ...c.pending, expires_at: toTs(c.pending.expires_at) }),
    updated_at: toTs(c.updated_at),
  };
}

export function whatsappConversationFromRow(r: WhatsAppConversationsTable): WhatsAppConversation {
  return {
    tenant_id: r.tenant_id,
    phone: r.phone,
    last_inbound_at: r.last_inbound_at,
    pending: r.pending === null ? null : fromJson<NonNullable<WhatsAppConversation['pending']>>(r.pending),
    updated_at: r.updated_at,
  };
}
